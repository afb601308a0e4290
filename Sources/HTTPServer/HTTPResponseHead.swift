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

    /// The bytes of the head, ending with the blank line.
    func encoded(serverName: String) -> [UInt8] {
        var text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        for field in headers where !Self.serverOwned(field.name) {
            // A value with CR or LF would split the head: such bytes never reach the wire.
            let value =
                field.value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
                ? String(field.value.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }) : field.value
            text += "\(field.name): \(value)\r\n"
        }
        text += "Date: \(HTTPDate.now)\r\nServer: \(serverName)\r\n"
        switch framing {
        case .contentLength(let length): text += "Content-Length: \(length)\r\n"
        case .chunked: text += "Transfer-Encoding: chunked\r\n"
        case .untilClose, .none: break
        }
        text += keepAlive ? "" : "Connection: close\r\n"
        text += "\r\n"
        return Array(text.utf8)
    }

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
