import HTTPValues

/// Renders the status line and header block of a response, adding the fields the server owns.
struct HTTPResponseHead {
    /// How the body is delimited on the wire.
    enum Framing: Equatable {
        case contentLength(Int)
        case chunked
        /// HTTP/1.0 streams: the body ends when the connection closes.
        case untilClose
        /// 1xx, 204 and 304 responses carry no body and no length.
        case none
    }

    var status: HTTPStatus
    var headers: HTTPHeaders
    var framing: Framing
    var keepAlive: Bool

    /// The bytes of the head, ending with the blank line, with room for `reservingBody` more
    /// bytes after it (the body the caller appends); `date` is the `Date` value.
    func encoded(serverName: String, date: [UInt8], reservingBody bodyCount: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + bodyCount)
        bytes.append(contentsOf: Self.statusLinePrefix)
        bytes.append(contentsOf: String(status.code).utf8)
        bytes.append(Self.space)
        bytes.append(contentsOf: status.reasonPhrase.utf8)
        bytes.append(contentsOf: Self.crlf)
        for field in headers where !Self.serverOwned(field.name) {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(contentsOf: Self.colonSpace)
            // A value with CR or LF would split the head: such bytes never reach the wire.
            if field.value.utf8.contains(where: { $0 == Self.cr || $0 == Self.lf }) {
                for byte in field.value.utf8 where byte != Self.cr && byte != Self.lf { bytes.append(byte) }
            } else {
                bytes.append(contentsOf: field.value.utf8)
            }
            bytes.append(contentsOf: Self.crlf)
        }
        bytes.append(contentsOf: Self.dateName)
        bytes.append(contentsOf: date)
        bytes.append(contentsOf: Self.serverName)
        bytes.append(contentsOf: serverName.utf8)
        bytes.append(contentsOf: Self.crlf)
        switch framing {
        case .contentLength(let length):
            bytes.append(contentsOf: Self.contentLengthName)
            bytes.append(contentsOf: String(length).utf8)
            bytes.append(contentsOf: Self.crlf)
        case .chunked:
            bytes.append(contentsOf: Self.chunkedField)
        case .untilClose, .none:
            break
        }
        if !keepAlive { bytes.append(contentsOf: Self.connectionClose) }
        bytes.append(contentsOf: Self.crlf)
        return bytes
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let crlf: [UInt8] = [cr, lf]
    private static let colonSpace = Array(": ".utf8)
    private static let statusLinePrefix = Array("HTTP/1.1 ".utf8)
    private static let dateName = Array("Date: ".utf8)
    private static let serverName = Array("\r\nServer: ".utf8)
    private static let contentLengthName = Array("Content-Length: ".utf8)
    private static let chunkedField = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)

    /// Fields the server computes itself; handler-set values are dropped so framing cannot lie.
    private static func serverOwned(_ name: String) -> Bool {
        name.equalsIgnoringASCIICase("Content-Length") || name.equalsIgnoringASCIICase("Transfer-Encoding")
            || name.equalsIgnoringASCIICase("Connection") || name.equalsIgnoringASCIICase("Date")
            || name.equalsIgnoringASCIICase("Server")
    }

    /// Whether a response with this status may carry a body (RFC 9110 §6.4.1).
    static func statusAllowsBody(_ status: HTTPStatus) -> Bool {
        !(100..<200).contains(status.code) && status.code != 204 && status.code != 304
    }
}
