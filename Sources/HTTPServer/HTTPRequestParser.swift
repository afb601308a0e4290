/// A push parser for HTTP/1.1 (and 1.0) requests that accepts bytes in any split.
///
/// Feed received bytes with `append`, then call `next()` until it returns nil. Requests come out
/// whole (body de-chunked); pipelined requests stay buffered until asked for, so the connection
/// can hold further requests while one is in flight. After `next()` throws, the parser is dead:
/// answer with the error's status and close the connection.
///
/// API CONTRACT (implementation pending on branch `parser`).
public struct HTTPRequestParser {
    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        fatalError("pending")
    }

    /// Buffers received bytes. Cheap: parsing happens in `next()`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {}

    /// The next complete event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? { nil }

    /// Bytes received but not yet consumed by a returned request.
    public var bufferedByteCount: Int { 0 }

    /// True when part of a request (head or body) has arrived but the request is not complete;
    /// the connection uses it to pick the header/body read timeout over the keep-alive timeout.
    public var isMidRequest: Bool { false }

    /// True while the head is complete and the body is still arriving (body-read timeout applies).
    public var isReadingBody: Bool { false }
}

/// Something the parser completed.
public enum HTTPParserEvent: Sendable {
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
    /// Largest head (request line plus header fields); past it: 431.
    public var maxHeadBytes: Int
    /// Most header fields (trailers included); past it: 431.
    public var maxHeaderCount: Int
    /// Largest decoded body; past it: 413 (raised as soon as Content-Length or the chunks show it).
    public var maxBodyBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeadBytes: Int = 32 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1 << 20
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
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
