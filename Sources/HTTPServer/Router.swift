/// Routes requests by method and path pattern (`/v1/conversations/{id}`) to async handlers.
///
/// Unknown paths get 404; a known path with another method gets 405 and `Allow`; HEAD is served
/// by the GET handler (the server drops the body); OPTIONS goes to `optionsHandler` when set
/// (the CORS hook), else 204 with `Allow`. Parameters arrive percent-decoded in
/// `request.pathParameters`; `request.routePattern` names the matched route for logs.
public struct Router: HTTPResponder {
    /// Handles one route.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Answers OPTIONS for a known path, given the methods it allows.
    public typealias OptionsHandler = @Sendable (HTTPRequest, _ allowed: [HTTPMethod]) async throws -> HTTPResponse

    private struct Route {
        enum Segment: Equatable {
            case literal(String)
            case parameter(String)
        }

        let method: HTTPMethod
        let pattern: String
        let segments: [Segment]
        let handler: Handler

        /// The captured parameters when `path` matches, else nil.
        func match(_ path: [Substring]) -> [String: String]? {
            guard path.count == segments.count else { return nil }
            var parameters: [String: String] = [:]
            for (segment, part) in zip(segments, path) {
                switch segment {
                case .literal(let literal):
                    guard part == literal else { return nil }
                case .parameter(let name):
                    guard !part.isEmpty, let value = PercentEncoding.decode(part) else { return nil }
                    parameters[name] = value
                }
            }
            return parameters
        }
    }

    private var routes: [Route] = []
    public var optionsHandler: OptionsHandler?

    public init() {}

    /// Adds a route. Literal routes registered earlier win over later parameter routes that match too.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            part -> Route.Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add(.post, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add(.delete, pattern, handler) }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let segments = Array(path)
        var allowed: [HTTPMethod] = []
        let lookup = request.method == .head ? HTTPMethod.get : request.method
        for route in routes {
            guard let parameters = route.match(segments) else { continue }
            if route.method == lookup {
                var routed = request
                routed.pathParameters = parameters
                routed.routePattern = route.pattern
                return try await route.handler(routed)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        guard !allowed.isEmpty else {
            throw HTTPError(.notFound, code: "not_found", message: "No resource at this path.")
        }
        if allowed.contains(.get) { allowed.append(.head) }
        allowed.append(.options)
        if request.method == .options {
            if let optionsHandler { return try await optionsHandler(request, allowed) }
            var headers = HTTPHeaders()
            headers.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            return HTTPResponse(status: .noContent, headers: headers)
        }
        throw HTTPError(
            .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here.",
            headers: [("Allow", allowed.map(\.rawValue).joined(separator: ", "))])
    }
}
