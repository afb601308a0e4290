public import HTTPValues

/// A complete HTTP request as handed to a responder: head, decoded body and connection facts.
public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target exactly as received, e.g. `/v1/messages?after=10`.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The body after transfer decoding (chunked bodies arrive here de-chunked).
    public var body: [UInt8]
    /// Trailer fields of a chunked body, if any.
    public var trailers: HTTPHeaders
    /// The peer address, e.g. `127.0.0.1` or `::1`; empty when unknown.
    public var remoteAddress: String
    /// The client's address as the application determined it (a trusted proxy's forwarded-for
    /// address); the peer address until something sets it.
    public var clientAddress: String {
        get { forwardedClientAddress ?? remoteAddress }
        set { forwardedClientAddress = newValue }
    }
    private var forwardedClientAddress: String?
    /// Set by the server: the incoming `X-Request-Id` when it is sane, else a fresh id.
    public var requestID: String
    /// Named parameters captured by the router, e.g. `id` for `/v1/conversations/{id}`.
    public var pathParameters: [String: String]
    /// The route pattern that matched, e.g. `/v1/conversations/{id}`; for logs and metrics.
    public var routePattern: String?

    public init(
        method: HTTPMethod,
        target: String,
        version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        trailers: HTTPHeaders = HTTPHeaders(),
        remoteAddress: String = "",
        requestID: String = ""
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.remoteAddress = remoteAddress
        self.requestID = requestID
        self.pathParameters = [:]
        self.routePattern = nil
    }

    /// The path part of the target, without the query string.
    public var path: Substring {
        if let q = target.firstIndex(of: "?") { return target[..<q] }
        return target[...]
    }

    /// The raw query string after `?`, or nil.
    public var query: Substring? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: q)...]
    }

    /// Whether the client asked to keep the connection open after this request.
    public var wantsKeepAlive: Bool {
        var close = false
        var keepAlive = false
        for field in headers where field.name.equalsIgnoringASCIICase("Connection") {
            for token in field.value.utf8.split(separator: UInt8(ascii: ",")) {
                let option = Substring(token).trimmingSpaces()
                if option.utf8.elementsEqual("close".utf8, by: asciiCaseInsensitive) { close = true }
                if option.utf8.elementsEqual("keep-alive".utf8, by: asciiCaseInsensitive) { keepAlive = true }
            }
        }
        return version == .http10 ? keepAlive && !close : !close
    }
}

private func asciiCaseInsensitive(_ a: UInt8, _ b: UInt8) -> Bool {
    (a >= 65 && a <= 90 ? a | 0x20 : a) == (b >= 65 && b <= 90 ? b | 0x20 : b)
}

extension Substring {
    package func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
