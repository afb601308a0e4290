import HTTPServer

/// The live server the HTTP suites share: routes for their requests, and a server on an ephemeral
/// loopback port around a test.
enum TestServer {
    /// `/hello`, `/echo` (POST), `/items/{id}`, `/slow` (300 ms), `/fail` (throws), `/stream` (three events).
    static func makeRouter() -> Router {
        var router = Router()
        router.get("/hello") { _ in HTTPResponse(contentType: "text/plain", body: Array("hello".utf8)) }
        router.post("/echo") { request in
            HTTPResponse(contentType: "application/octet-stream", body: request.body)
        }
        router.get("/items/{id}") { request in
            HTTPResponse(contentType: "text/plain", body: Array("item \(request.pathParameters["id"] ?? "?")".utf8))
        }
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return HTTPResponse(contentType: "text/plain", body: Array("slow".utf8))
        }
        router.get("/fail") { _ in throw CancellationError() }
        router.get("/stream") { _ in
            HTTPResponse(
                headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    for index in 1...3 { try await writer.write(Array("data: \(index)\n\n".utf8)) }
                })
        }
        return router
    }

    /// Runs `body` against a started server and shuts it down afterwards.
    static func withServer(
        _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(port: 0),
        responder: any HTTPResponder = makeRouter(),
        onError: @escaping HTTPServer.ErrorHandler = { _, _ in },
        _ body: (HTTPServer) async throws -> Void
    ) async throws {
        var configuration = configuration
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, responder: responder, onError: onError)
        try server.start()
        do {
            try await body(server)
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
