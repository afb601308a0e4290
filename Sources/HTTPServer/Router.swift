public import HTTPValues

/// Routes requests by method and path pattern (`/v1/conversations/{id}`) to async handlers.
///
/// Unknown paths get 404; a known path with another method gets 405 and `Allow`; HEAD is served
/// by the GET handler (the server drops the body); OPTIONS goes to `optionsHandler` when set
/// (the CORS hook), else 204 with `Allow`. Parameters arrive percent-decoded in
/// `request.pathParameters`; `request.routePattern` names the matched route for logs.
/// `middleware` runs outermost-first around every handler, the 404/405/OPTIONS answers included,
/// and sees the routed request.
public struct Router: HTTPResponder {
    /// Handles one route.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Answers OPTIONS for a known path, given the methods it allows.
    public typealias OptionsHandler = @Sendable (HTTPRequest, _ allowed: [HTTPMethod]) async throws -> HTTPResponse

    private struct Route {
        enum Segment: Equatable {
            /// A literal segment's bytes: paths compare as bytes, as URLs do.
            case literal([UInt8])
            case parameter(String)
        }

        let method: HTTPMethod
        let pattern: String
        let segments: [Segment]
        let handler: Handler
        /// The middleware and the handler composed, rebuilt when the middleware changes, so a
        /// request allocates no chain of its own.
        var responder: any HTTPResponder

        /// The captured parameters when `path` matches, else nil.
        func match(_ path: ArraySlice<Substring>) -> [String: String]? {
            guard path.count == segments.count else { return nil }
            var parameters: [String: String] = [:]
            for (segment, part) in zip(segments, path) {
                switch segment {
                case .literal(let literal):
                    guard part.utf8.elementsEqual(literal) else { return nil }
                case .parameter(let name):
                    guard !part.isEmpty, let value = PercentEncoding.decode(part) else { return nil }
                    parameters[name] = value
                }
            }
            return parameters
        }
    }

    /// The routes by their number of segments (a path can only match routes of its own length),
    /// each list in the order the routes were added.
    private var routesBySegmentCount: [Int: [Route]] = [:]
    /// Routes without parameters by exact path, each path's list in the order added, holding only
    /// the ones that win for their method (no route added before them matches their path): most
    /// requests are routed by one lookup, without splitting the path.
    private var literalRoutes: [Substring: [Route]] = [:]
    public var optionsHandler: OptionsHandler?
    public var middleware: [any HTTPMiddleware] = [] {
        didSet {
            let middleware = middleware
            func recomposed(_ routes: [Route]) -> [Route] {
                routes.map { route in
                    var route = route
                    route.responder = Self.compose(middleware, route.handler)
                    return route
                }
            }
            routesBySegmentCount = routesBySegmentCount.mapValues(recomposed)
            literalRoutes = literalRoutes.mapValues(recomposed)
        }
    }

    public init() {}

    /// Adds a route. Literal routes registered earlier win over later parameter routes that match too.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            part -> Route.Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(Array(part.utf8))
        }
        let route = Route(
            method: method, pattern: pattern, segments: segments, handler: handler,
            responder: Self.compose(middleware, handler))
        let path = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let isLiteral = segments.allSatisfy { if case .literal = $0 { true } else { false } }
        let shadowed = routesBySegmentCount[segments.count, default: []].contains {
            $0.method == method && $0.match(path) != nil
        }
        if isLiteral && !shadowed { literalRoutes[Substring(pattern), default: []].append(route) }
        routesBySegmentCount[segments.count, default: []].append(route)
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add(.post, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add(.delete, pattern, handler) }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        switch route(request) {
        case .matched(let routed, let responder):
            return try await responder.respond(to: routed)
        case .unmatched(let routed, let handler):
            return try await Self.compose(middleware, handler).respond(to: routed)
        }
    }

    /// A request with its route facts filled in, and what answers it: a route's composed chain,
    /// or a handler for 404, 405 or OPTIONS that still has to be wrapped in the middleware.
    private enum Routing {
        case matched(HTTPRequest, any HTTPResponder)
        case unmatched(HTTPRequest, Handler)
    }

    private func route(_ request: HTTPRequest) -> Routing {
        let lookup = request.method == .head ? HTTPMethod.get : request.method
        let path = request.path
        // Paths compare as bytes (the dictionary's `==` is Unicode equivalence).
        if let route = literalRoutes[path]?.first(where: { $0.method == lookup }),
            route.pattern.utf8.elementsEqual(path.utf8)
        {
            var routed = request
            routed.pathParameters = [:]
            routed.routePattern = route.pattern
            return .matched(routed, route.responder)
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var allowed: [HTTPMethod] = []
        var pattern: String?
        for route in routesBySegmentCount[segments.count] ?? [] {
            guard let parameters = route.match(segments) else { continue }
            if route.method == lookup {
                var routed = request
                routed.pathParameters = parameters
                routed.routePattern = route.pattern
                return .matched(routed, route.responder)
            }
            pattern = pattern ?? route.pattern
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        var routed = request
        routed.routePattern = pattern
        guard !allowed.isEmpty else {
            return .unmatched(
                routed, { _ in throw HTTPError(.notFound, code: "not_found", message: "No resource at this path.") })
        }
        if allowed.contains(.get) { allowed.append(.head) }
        allowed.append(.options)
        let allowHeader = allowed.map(\.rawValue).joined(separator: ", ")
        if request.method == .options {
            let methods = allowed
            if let optionsHandler { return .unmatched(routed, { try await optionsHandler($0, methods) }) }
            return .unmatched(routed, { _ in HTTPResponse(status: .noContent, headers: ["Allow": allowHeader]) })
        }
        return .unmatched(
            routed,
            { request in
                throw HTTPError(
                    .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here.",
                    headers: [("Allow", allowHeader)])
            }
        )
    }

    /// `middleware` around `handler`, outermost first.
    private static func compose(_ middleware: [any HTTPMiddleware], _ handler: @escaping Handler) -> any HTTPResponder {
        middleware.reversed().reduce(Endpoint(handler: handler) as any HTTPResponder) {
            MiddlewareLink(middleware: $1, next: $0)
        }
    }
}

/// One middleware and what it wraps.
private final class MiddlewareLink: HTTPResponder {
    let middleware: any HTTPMiddleware
    let next: any HTTPResponder

    init(middleware: any HTTPMiddleware, next: any HTTPResponder) {
        self.middleware = middleware
        self.next = next
    }

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        try await middleware.respond(to: request, next: next)
    }
}

/// A route's handler as the innermost responder.
private struct Endpoint: HTTPResponder {
    let handler: Router.Handler

    func respond(to request: HTTPRequest) async throws -> HTTPResponse { try await handler(request) }
}
