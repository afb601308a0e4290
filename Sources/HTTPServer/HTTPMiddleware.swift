/// Code that wraps every routed request: logging, CORS, authentication (see `Router.middleware`).
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`, usually by calling `next` and adjusting what it returns.
    func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse
}
