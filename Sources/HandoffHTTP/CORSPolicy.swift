package import HTTPServer
package import HTTPValues

/// Cross-origin rules for the widget API: only the configured widget origins may call it, with
/// credentials (the session cookie); a state-changing request from any other origin gets 403.
package struct CORSPolicy: HTTPMiddleware {
    let allowedOrigins: Set<String>
    /// Paths under these prefixes are the widget's; the rest (webhooks, bot API) are not browser APIs.
    static let widgetPaths = ["/v1/sessions", "/v1/session", "/v1/messages", "/v1/events", "/v1/handoff"]
    /// Each widget path's bytes with a slash: what the paths below it start with (made once).
    private static let widgetPrefixes = widgetPaths.map { Array($0.utf8) + [UInt8(ascii: "/")] }
    static let allowedHeaders = "Content-Type, Idempotency-Key, Last-Event-ID"

    /// `allowedOrigins` are the configured widget origins and our own (the public URL's, for the
    /// demo page); an `Origin` must equal one of them, scheme and port included.
    package init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalized))
    }

    package func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        // Most requests (webhooks, the bot API, probes) carry no Origin: the path is not looked at.
        guard let origin = request.headers["Origin"], Self.isWidgetPath(request.path) else {
            return try await next.respond(to: request)
        }
        let allowed = allowedOrigins.contains(origin.lowercased())
        if !allowed, request.method != .get, request.method != .head {
            throw HTTPError(
                .forbidden, code: "forbidden_origin", message: "This origin may not use the widget API.")
        }
        var response: HTTPResponse
        do {
            response = try await next.respond(to: request)
        } catch let error as any HTTPResponseError {
            response = error.response
        }
        guard allowed else { return response }
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: origin)
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Credentials", value: "true")
        response.headers.add(name: "Vary", value: "Origin")
        return response
    }

    /// The answer to a preflight: which methods and headers the widget may use.
    package func preflight(_ request: HTTPRequest, allowed methods: [HTTPMethod]) -> HTTPResponse {
        var headers: HTTPHeaders = ["Allow": methods.map(\.rawValue).joined(separator: ", ")]
        if Self.isWidgetPath(request.path), request.headers["Origin"] != nil {
            headers.add(name: "Access-Control-Allow-Methods", value: methods.map(\.rawValue).joined(separator: ", "))
            headers.add(name: "Access-Control-Allow-Headers", value: Self.allowedHeaders)
            headers.add(name: "Access-Control-Max-Age", value: "600")
        }
        return HTTPResponse(status: .noContent, headers: headers)
    }

    /// An origin as browsers send it: lowercased, without the scheme's default port.
    static func normalized(_ origin: String) -> String {
        let origin = origin.lowercased()
        for (scheme, port) in [("http://", ":80"), ("https://", ":443")] where origin.hasPrefix(scheme) {
            if origin.hasSuffix(port) { return String(origin.dropLast(port.count)) }
        }
        return origin
    }

    /// Compared as bytes, as URLs are (not by `Character`, which is slower and would equate
    /// canonically equivalent Unicode).
    static func isWidgetPath(_ path: Substring) -> Bool {
        zip(widgetPaths, widgetPrefixes).contains { path.utf8.elementsEqual($0.utf8) || path.utf8.starts(with: $1) }
    }
}
