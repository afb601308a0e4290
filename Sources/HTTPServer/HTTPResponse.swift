public import HTTPValues

/// A response: status, headers and a body that is either complete or streamed.
///
/// The server adds `Date`, `Server`, `Content-Length` or `Transfer-Encoding: chunked`, and
/// `Connection` itself; a HEAD request gets the same headers and no body.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: HTTPResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A complete body with its content type.
    public init(status: HTTPStatus = .ok, contentType: String, body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: contentType)
        self.init(status: status, headers: headers, body: .bytes(body))
    }
}

/// The body of a response.
public enum HTTPResponseBody: Sendable {
    /// A body known in full; sent with `Content-Length`.
    case bytes([UInt8])
    /// A body produced over time (Server-Sent Events, large exports); sent chunked on HTTP/1.1 and
    /// close-delimited on HTTP/1.0. The closure returns when the body is complete; the connection
    /// is cancelled (the task is cancelled and `write` throws) when the client goes away or the
    /// server stops draining.
    case stream(@Sendable (any HTTPBodyWriter) async throws -> Void)

    public static let empty = HTTPResponseBody.bytes([])
}

/// Where a streamed body's bytes go.
public protocol HTTPBodyWriter: Sendable {
    /// Queues bytes for the client; suspends while the client is not reading fast enough
    /// (backpressure), and throws once the connection is closed.
    func write(_ bytes: [UInt8]) async throws
}
