/// Code that wraps every request: logging, CORS, authentication.
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`, usually by calling `next` and adjusting what it returns.
    func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse
}

/// A responder that runs middleware outermost-first around an inner responder.
public struct HTTPMiddlewareStack: HTTPResponder {
    private let responder: any HTTPResponder

    public init(_ middleware: [any HTTPMiddleware], around responder: any HTTPResponder) {
        self.responder = middleware.reversed().reduce(responder) { inner, layer in
            Layer(middleware: layer, next: inner)
        }
    }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        try await responder.respond(to: request)
    }

    private struct Layer: HTTPResponder {
        let middleware: any HTTPMiddleware
        let next: any HTTPResponder

        func respond(to request: HTTPRequest) async throws -> HTTPResponse {
            try await middleware.respond(to: request, next: next)
        }
    }
}
