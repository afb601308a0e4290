/// An error that knows the response it becomes: a handler (or anything it calls) throws it, and
/// the server answers with `response` instead of a 500. `HTTPError` is one; a module's own error
/// type adopts it at the edge, so the code that throws it need not know HTTP.
public protocol HTTPResponseError: Error, Sendable {
    var response: HTTPResponse { get }
}

extension HTTPError: HTTPResponseError {}
