/// Anything that turns a request into a response: the router, middleware, a test double.
///
/// Thrown `HTTPResponseError`s (such as `HTTPError`) become their own response; any other error becomes a 500 and is
/// reported to the server's observer.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async throws -> HTTPResponse
}
