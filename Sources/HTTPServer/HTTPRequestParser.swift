public import HTTPValues

/// A push parser for HTTP/1.1 (and 1.0) requests that accepts bytes in any split.
///
/// Feed received bytes with `append`, then call `next()` until it returns nil. Requests come out
/// whole (body de-chunked); pipelined requests stay buffered until asked for, so the connection
/// can hold further requests while one is in flight. After `next()` throws, the parser is dead:
/// answer with the error's status and close the connection.
///
/// The grammar is RFC 9112's, read strictly where leniency enables request smuggling: lines end
/// in CRLF, no obs-fold, no whitespace before a field's colon, one framing (Content-Length or
/// chunked, never both), identical repeated Content-Length values only.
public struct HTTPRequestParser {
    private enum State {
        /// Waiting for a complete head; `scanned` bytes of it were already searched for its end.
        case head(scanned: Int)
        /// Head parsed; `remaining` body bytes of a Content-Length body still to come.
        case fixedBody(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, ChunkedDecoder)
        case failed(HTTPParseError)
    }

    private let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    /// Index of the first unconsumed byte in `buffer`.
    private var start = 0
    private var state = State.head(scanned: 0)
    private var continueAnnounced = false

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Buffers received bytes. Cheap: parsing happens in `next()`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Buffers received bytes from an array (tests, fuzzing).
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Bytes received but not yet consumed by a returned request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// True when part of a request (head or body) has arrived but the request is not complete;
    /// the connection uses it to pick the header/body read timeout over the keep-alive timeout.
    public var isMidRequest: Bool {
        switch state {
        case .head: bufferedByteCount > 0
        case .fixedBody, .chunked: true
        case .failed: false
        }
    }

    /// True while the head is complete and the body is still arriving (body-read timeout applies).
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunked: true
        case .head, .failed: false
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPParserEvent? {
        switch state {
        case .failed(let error):
            throw error
        case .head(let scanned):
            skipLeadingEmptyLines()
            guard let headEnd = try findHeadEnd(scannedFrom: scanned) else { return nil }
            let request = try parseHead(buffer[start..<headEnd])
            start = headEnd + 4
            continueAnnounced = false
            try beginBody(of: request)
            return try step()
        case .fixedBody(var request, let remaining):
            if remaining > 0, bufferedByteCount < remaining {
                return announceContinueIfAsked(request)
            }
            request.body = Array(buffer[start..<start + remaining])
            start += remaining
            state = .head(scanned: 0)
            return .request(request)
        case .chunked(var request, var decoder):
            let done = try decoder.decode(buffer, from: &start, limits: limits)
            guard done else {
                state = .chunked(request, decoder)
                return announceContinueIfAsked(request)
            }
            request.body = decoder.body
            request.trailers = decoder.trailers
            state = .head(scanned: 0)
            return .request(request)
        }
    }

    /// RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request line.
    private mutating func skipLeadingEmptyLines() {
        while bufferedByteCount >= 2, buffer[start] == cr, buffer[start + 1] == lf {
            start += 2
            state = .head(scanned: 0)
        }
    }

    /// The index of the CRLFCRLF ending the head, or nil when more bytes are needed; enforces the
    /// request-line and head size limits on the way, and refuses a bare LF as soon as it arrives.
    private mutating func findHeadEnd(scannedFrom scanned: Int) throws(HTTPParseError) -> Int? {
        let end = buffer.count
        var index = start + scanned
        var headEnd: Int?
        while index < end {
            if buffer[index] == lf {
                guard index > start, buffer[index - 1] == cr else {
                    throw .bad("invalid_line_ending", "Lines must end with CRLF.")
                }
                if index - start >= 3, buffer[index - 2] == lf {
                    headEnd = index - 3
                    break
                }
            }
            index += 1
        }
        let headLength = (headEnd ?? end) - start
        try checkMethodLength()
        let firstLineLength = firstLineBreak().map { $0 - start } ?? headLength
        if firstLineLength > limits.maxRequestLineBytes {
            throw HTTPParseError(
                status: .uriTooLong, code: "request_line_too_long",
                message: "The request line is longer than \(limits.maxRequestLineBytes) bytes.")
        }
        if headLength > limits.maxHeadBytes {
            throw HTTPParseError(
                status: .requestHeaderFieldsTooLarge, code: "header_too_large",
                message: "The request head is larger than \(limits.maxHeadBytes) bytes.")
        }
        if headEnd == nil { state = .head(scanned: end - start) }
        return headEnd
    }

    /// Refuses a method longer than the limit as soon as its first bytes show it: one more token
    /// byte than the limit allows, with no space yet (other bytes are left to the request line's checks).
    private func checkMethodLength() throws(HTTPParseError) {
        let limit = start + limits.maxMethodBytes
        guard buffer.count > limit, buffer[start...limit].allSatisfy(isTokenByte) else { return }
        throw HTTPParseError(
            status: .notImplemented, code: "method_too_long",
            message: "The request method is longer than \(limits.maxMethodBytes) bytes.")
    }

    /// The index of the first CR or LF within the request-line limit, or nil.
    private func firstLineBreak() -> Int? {
        let limit = min(buffer.count, start + limits.maxRequestLineBytes + 2)
        var index = start
        while index < limit {
            if buffer[index] == cr || buffer[index] == lf { return index }
            index += 1
        }
        return nil
    }

    private mutating func announceContinueIfAsked(_ request: HTTPRequest) -> HTTPParserEvent? {
        guard !continueAnnounced, request.version == .http11,
            let expect = request.headers["Expect"], expect.equalsIgnoringASCIICase("100-continue")
        else { return nil }
        continueAnnounced = true
        return .expectContinue
    }

    /// Chooses the body framing from the parsed head (RFC 9112 §6.3).
    private mutating func beginBody(of request: HTTPRequest) throws(HTTPParseError) {
        if let expect = request.headers["Expect"], !expect.equalsIgnoringASCIICase("100-continue") {
            throw HTTPParseError(
                status: .expectationFailed, code: "unsupported_expectation",
                message: "Only the 100-continue expectation is supported.")
        }
        let transferEncodings = request.headers.values(for: "Transfer-Encoding")
        let contentLengths = request.headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty {
                throw .bad("conflicting_framing", "A request cannot carry both Content-Length and Transfer-Encoding.")
            }
            if request.version == .http10 {
                throw .bad("transfer_encoding_in_http10", "HTTP/1.0 requests cannot use Transfer-Encoding.")
            }
            let codings = transferEncodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingSpaces().lowercased() }
            guard codings.last == "chunked" else {
                throw .bad("chunked_not_final", "The final transfer coding of a request must be chunked.")
            }
            guard codings.count == 1 else {
                throw HTTPParseError(
                    status: .notImplemented, code: "unsupported_transfer_coding",
                    message: "Only the chunked transfer coding is supported.")
            }
            state = .chunked(request, ChunkedDecoder())
            return
        }
        var length: Int?
        for value in contentLengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let parsed = try Self.parseContentLength(value.trimmingSpaces(), limits: limits)
            if let length, length != parsed {
                throw .bad("conflicting_content_length", "The request carries differing Content-Length values.")
            }
            length = parsed
        }
        state = .fixedBody(request, remaining: length ?? 0)
    }

    private static func parseContentLength(
        _ text: Substring, limits: HTTPParserLimits
    ) throws(HTTPParseError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= zero && $0 <= nine }) else {
            throw .bad("invalid_content_length", "Content-Length must be a decimal number.")
        }
        let significant = text.drop { $0 == "0" }
        guard significant.count <= 18, let value = Int(significant.isEmpty ? "0" : significant) else {
            throw .tooLarge(limits.maxBodyBytes)
        }
        if value > limits.maxBodyBytes { throw .tooLarge(limits.maxBodyBytes) }
        return value
    }

    /// Parses the request line and header fields; `head` excludes the final CRLFCRLF.
    private func parseHead(_ head: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        var lines = HeadLines(head)
        guard let requestLine = try lines.next() else {
            throw .bad("malformed_request_line", "The request line is missing.")
        }
        var request = try parseRequestLine(requestLine)
        var headers = HTTPHeaders()
        while let line = try lines.next() {
            headers.add(try Self.parseField(line))
            if headers.count > limits.maxHeaderCount {
                throw HTTPParseError(
                    status: .requestHeaderFieldsTooLarge, code: "too_many_headers",
                    message: "The request has more than \(limits.maxHeaderCount) header fields.")
            }
        }
        if request.version == .http11 {
            let hosts = headers.reduce(0) { $1.name.equalsIgnoringASCIICase("Host") ? $0 + 1 : $0 }
            guard hosts == 1 else {
                throw .bad("invalid_host", "An HTTP/1.1 request needs exactly one Host header.")
            }
        }
        request.headers = headers
        return request
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        // Exactly two spaces: method, target, version (split without building an array).
        guard let firstSpace = line.firstIndex(of: space),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: space),
            !line[(secondSpace + 1)...].contains(space)
        else {
            throw .bad("malformed_request_line", "The request line must be: method, target, version.")
        }
        let parts = (line[..<firstSpace], line[(firstSpace + 1)..<secondSpace], line[(secondSpace + 1)...])
        guard !parts.0.isEmpty, !parts.1.isEmpty else {
            throw .bad("malformed_request_line", "The request line must be: method, target, version.")
        }
        guard parts.0.allSatisfy(isTokenByte) else {
            throw .bad("invalid_method", "The request method contains invalid characters.")
        }
        guard parts.1.allSatisfy({ $0 > space && $0 < 0x7F }) else {
            throw .bad("invalid_target", "The request target contains invalid characters.")
        }
        let target = String(decoding: parts.1, as: UTF8.self)
        guard target.hasPrefix("/") || target == "*" || target.contains("://") else {
            throw .bad("invalid_target", "The request target must be an absolute path.")
        }
        let version = try Self.parseVersion(parts.2)
        return HTTPRequest(
            method: HTTPMethod(rawValue: String(decoding: parts.0, as: UTF8.self)),
            target: target, version: version)
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        // Offsets from the slice's start: `bytes` is a slice of the parser's buffer.
        let at = { (offset: Int) in bytes[bytes.startIndex + offset] }
        guard bytes.count == 8, bytes.starts(with: "HTTP/".utf8), at(6) == dot,
            (zero...nine).contains(at(5)), (zero...nine).contains(at(7))
        else {
            throw .bad("invalid_version", "The request line does not end with a valid HTTP version.")
        }
        let version = HTTPVersion(major: Int(at(5) - zero), minor: Int(at(7) - zero))
        guard version == .http11 || version == .http10 else {
            throw HTTPParseError(
                status: .httpVersionNotSupported, code: "unsupported_version",
                message: "Only HTTP/1.0 and HTTP/1.1 are supported.")
        }
        return version
    }

    /// Parses `name: value` with the checks that stop smuggling: a token name directly followed
    /// by the colon, and a value without control characters.
    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPHeaders.Field {
        if let first = line.first, first == space || first == tab {
            throw .bad("obsolete_line_folding", "Header values folded over several lines are not accepted.")
        }
        guard let colon = line.firstIndex(of: colonByte) else {
            throw .bad("malformed_header", "A header field has no colon.")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw .bad("invalid_header_name", "A header field name contains invalid characters.")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == space || first == tab { value.removeFirst() }
        while let last = value.last, last == space || last == tab { value.removeLast() }
        guard value.allSatisfy({ $0 == tab || ($0 >= space && $0 != 0x7F) }) else {
            throw .bad("invalid_header_value", "A header field value contains control characters.")
        }
        return HTTPHeaders.Field(
            name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }
}

/// Splits a head into CRLF-terminated lines, refusing bare CR and bare LF.
private struct HeadLines {
    private var rest: ArraySlice<UInt8>

    init(_ head: ArraySlice<UInt8>) { rest = head }

    mutating func next() throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard !rest.isEmpty else { return nil }
        var index = rest.startIndex
        while index < rest.endIndex {
            let byte = rest[index]
            if byte == cr {
                guard index + 1 < rest.endIndex, rest[index + 1] == lf else {
                    throw .bad("bare_cr", "A carriage return must be followed by a line feed.")
                }
                let line = rest[rest.startIndex..<index]
                rest = rest[(index + 2)...]
                return line
            }
            if byte == lf || byte == 0 {
                throw .bad("invalid_line_ending", "Lines must end with CRLF and contain no NUL.")
            }
            index += 1
        }
        let line = rest
        rest = rest[rest.endIndex...]
        return line
    }
}

/// Incremental decoder of a chunked body (RFC 9112 §7.1), trailers included.
private struct ChunkedDecoder {
    private enum Phase {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private var phase = Phase.size
    private(set) var body: [UInt8] = []
    private(set) var trailers = HTTPHeaders()
    private var trailerBytes = 0

    /// Consumes what it can from `buffer` at `start`; true once the last chunk and the trailers are in.
    mutating func decode(
        _ buffer: [UInt8], from start: inout Int, limits: HTTPParserLimits
    ) throws(HTTPParseError) -> Bool {
        while true {
            switch phase {
            case .size:
                guard let lineEnd = try Self.lineEnd(in: buffer, from: start, maxLength: 1024) else { return false }
                let size = try Self.parseChunkSize(buffer[start..<lineEnd])
                start = lineEnd + 2
                if size == 0 {
                    phase = .trailers
                } else {
                    if size > limits.maxBodyBytes - body.count { throw .tooLarge(limits.maxBodyBytes) }
                    phase = .data(remaining: size)
                }
            case .data(let remaining):
                let available = min(remaining, buffer.count - start)
                if available == 0 { return false }
                body.append(contentsOf: buffer[start..<start + available])
                start += available
                phase = available == remaining ? .dataEnd : .data(remaining: remaining - available)
            case .dataEnd:
                guard buffer.count - start >= 2 else { return false }
                guard buffer[start] == cr, buffer[start + 1] == lf else {
                    throw .bad("malformed_chunk", "A chunk's data must be followed by CRLF.")
                }
                start += 2
                phase = .size
            case .trailers:
                let remainingAllowance = limits.maxHeadBytes - trailerBytes
                guard let lineEnd = try Self.lineEnd(in: buffer, from: start, maxLength: remainingAllowance) else {
                    return false
                }
                let line = buffer[start..<lineEnd]
                trailerBytes += line.count + 2
                start = lineEnd + 2
                if line.isEmpty { return true }
                trailers.add(try HTTPRequestParser.parseField(line))
                if trailers.count > limits.maxHeaderCount {
                    throw HTTPParseError(
                        status: .requestHeaderFieldsTooLarge, code: "too_many_headers",
                        message: "The request has more than \(limits.maxHeaderCount) trailer fields.")
                }
            }
        }
    }

    /// The index of the next CRLF at or after `from`, nil if not yet received; throws when a line
    /// grows past `maxLength` or holds a bare CR or LF.
    private static func lineEnd(in buffer: [UInt8], from: Int, maxLength: Int) throws(HTTPParseError) -> Int? {
        var index = from
        while index < buffer.count {
            switch buffer[index] {
            case cr:
                guard index + 1 < buffer.count else { return nil }
                guard buffer[index + 1] == lf else {
                    throw .bad("bare_cr", "A carriage return must be followed by a line feed.")
                }
                return index
            case lf:
                throw .bad("invalid_line_ending", "Lines must end with CRLF.")
            default:
                if index - from >= maxLength {
                    throw HTTPParseError(
                        status: .requestHeaderFieldsTooLarge, code: "chunk_line_too_long",
                        message: "A chunk-size or trailer line is too long.")
                }
                index += 1
            }
        }
        return nil
    }

    private static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let sizeEnd = line.firstIndex { $0 == semicolon || $0 == space || $0 == tab } ?? line.endIndex
        let digits = line[line.startIndex..<sizeEnd]
        guard !digits.isEmpty, digits.count <= 15 else {
            throw .bad("malformed_chunk", "A chunk size must be 1 to 15 hexadecimal digits.")
        }
        var size = 0
        for byte in digits {
            guard let value = hexValue(byte) else {
                throw .bad("malformed_chunk", "A chunk size must be hexadecimal.")
            }
            size = size << 4 | value
        }
        let extensions = line[sizeEnd...]
        guard extensions.allSatisfy({ $0 == tab || ($0 >= space && $0 != 0x7F) }) else {
            throw .bad("malformed_chunk", "A chunk extension contains control characters.")
        }
        if let first = extensions.first(where: { $0 != space && $0 != tab }), first != semicolon {
            throw .bad("malformed_chunk", "A chunk size is followed by something other than an extension.")
        }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case zero...nine: Int(byte - zero)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}

extension HTTPParseError {
    fileprivate static func bad(_ code: String, _ message: String) -> HTTPParseError {
        HTTPParseError(status: .badRequest, code: code, message: message)
    }

    fileprivate static func tooLarge(_ limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: .payloadTooLarge, code: "body_too_large", message: "The request body is larger than \(limit) bytes."
        )
    }
}

extension HTTPHeaders {
    fileprivate mutating func add(_ field: Field) { add(name: field.name, value: field.value) }
}

/// RFC 9110 `tchar`: the bytes allowed in methods and field names.
private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), zero...nine: true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        true
    default: false
    }
}

private let cr = UInt8(ascii: "\r")
private let lf = UInt8(ascii: "\n")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let colonByte = UInt8(ascii: ":")
private let semicolon = UInt8(ascii: ";")
private let dot = UInt8(ascii: ".")
private let zero = UInt8(ascii: "0")
private let nine = UInt8(ascii: "9")

/// Something the parser completed.
public enum HTTPParserEvent: Sendable, Equatable {
    /// The head of a request carrying `Expect: 100-continue` is complete and its body has not
    /// fully arrived: the connection should write `HTTP/1.1 100 Continue` now.
    case expectContinue
    /// A complete request. `remoteAddress` and `requestID` are left empty for the connection.
    case request(HTTPRequest)
}

/// Size limits the parser enforces, each failing with its own status.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version); past it: 414.
    public var maxRequestLineBytes: Int
    /// Longest method (every registered one has at most 17 bytes); past it: 501.
    public var maxMethodBytes: Int
    /// Largest head (request line plus header fields); past it: 431.
    public var maxHeadBytes: Int
    /// Most header fields (trailers counted separately); past it: 431.
    public var maxHeaderCount: Int
    /// Largest decoded body; past it: 413 (raised as soon as Content-Length or the chunks show it).
    public var maxBodyBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxMethodBytes: Int = 20,
        maxHeadBytes: Int = 32 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1 << 20
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxMethodBytes = maxMethodBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Why a request was rejected; `status` is the response to send before closing.
public struct HTTPParseError: Error, Sendable, Equatable {
    /// 400, 413, 414, 417, 431, 501 or 505.
    public var status: HTTPStatus
    /// A stable snake_case code, e.g. `header_too_large`, `conflicting_content_length`.
    public var code: String
    public var message: String

    public init(status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The error as an `HTTPError`, for rendering.
    public var httpError: HTTPError { HTTPError(status, code: code, message: message) }
}
