import HTTPServer
import HTTPValues
import Testing

/// The router composes its middleware around each route once, when either changes: whichever
/// comes first, every route and every 404/405 answer runs inside the whole chain, outermost first.
@Suite struct RouterMiddlewareTests {
    /// Appends its name to the `X-Trail` header on the way out, so the header lists the
    /// middleware innermost first; also stamps the route pattern it saw.
    struct Mark: HTTPMiddleware {
        let name: String

        func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
            var response: HTTPResponse
            do {
                response = try await next.respond(to: request)
            } catch let error as any HTTPResponseError {
                response = error.response
            }
            response.headers.add(name: "X-Trail", value: name)
            response.headers.replaceOrAdd(name: "X-Route", value: request.routePattern ?? "none")
            return response
        }
    }

    static func trail(_ response: HTTPResponse) -> [String] { response.headers.values(for: "X-Trail") }

    @Test func wrapsRoutesAddedBeforeAndAfterTheMiddleware() async throws {
        var router = Router()
        router.get("/before/{id}") { _ in HTTPResponse(status: .ok) }
        router.middleware = [Mark(name: "outer"), Mark(name: "inner")]
        router.get("/after") { _ in HTTPResponse(status: .accepted) }

        let before = try await router.respond(to: HTTPRequest(method: .get, target: "/before/7"))
        #expect(before.status == .ok && Self.trail(before) == ["inner", "outer"])
        #expect(before.headers["X-Route"] == "/before/{id}")
        let after = try await router.respond(to: HTTPRequest(method: .get, target: "/after"))
        #expect(after.status == .accepted && Self.trail(after) == ["inner", "outer"])

        router.middleware = [Mark(name: "only")]
        let replaced = try await router.respond(to: HTTPRequest(method: .get, target: "/before/8"))
        #expect(Self.trail(replaced) == ["only"])
    }

    @Test func wrapsTheAnswersForUnknownPathsAndMethods() async throws {
        var router = Router()
        router.middleware = [Mark(name: "log")]
        router.get("/thing") { _ in HTTPResponse(status: .ok) }

        let missing = try await router.respond(to: HTTPRequest(method: .get, target: "/nothing"))
        #expect(missing.status == .notFound && Self.trail(missing) == ["log"])
        #expect(missing.headers["X-Route"] == "none")
        let wrongMethod = try await router.respond(to: HTTPRequest(method: .post, target: "/thing"))
        #expect(wrongMethod.status == .methodNotAllowed && Self.trail(wrongMethod) == ["log"])
        #expect(wrongMethod.headers["X-Route"] == "/thing")
        let options = try await router.respond(to: HTTPRequest(method: .options, target: "/thing"))
        #expect(options.status == .noContent && Self.trail(options) == ["log"])
    }
}
