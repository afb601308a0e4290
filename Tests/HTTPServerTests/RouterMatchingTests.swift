import HTTPServer
import HTTPValues
import Testing

/// Which route answers a path: the first added that matches, bytes compared as bytes, whether
/// the path is found by its literal text or by its segments.
@Suite struct RouterMatchingTests {
    static func answer(_ router: Router, _ method: HTTPMethod, _ target: String) async throws -> HTTPResponse {
        var response: HTTPResponse
        do {
            response = try await router.respond(to: HTTPRequest(method: method, target: target))
        } catch let error as any HTTPResponseError {
            response = error.response
        }
        return response
    }

    static func named(_ name: String) -> Router.Handler {
        { request in HTTPResponse(headers: ["X-Route": request.routePattern ?? "", "X-Name": name]) }
    }

    @Test func theRouteAddedFirstWinsBetweenALiteralAndAParameter() async throws {
        var router = Router()
        router.get("/items/{id}", Self.named("parameter"))
        router.get("/items/new", Self.named("literal"))
        router.get("/things/new", Self.named("literal"))
        router.get("/things/{id}", Self.named("parameter"))
        #expect(try await Self.answer(router, .get, "/items/new").headers["X-Name"] == "parameter")
        #expect(try await Self.answer(router, .get, "/things/new").headers["X-Name"] == "literal")
        #expect(try await Self.answer(router, .get, "/things/7").headers["X-Name"] == "parameter")
        let head = try await Self.answer(router, .head, "/things/new?x=1")
        #expect(head.headers["X-Name"] == "literal" && head.headers["X-Route"] == "/things/new")
    }

    @Test func aLiteralPathOfAnotherMethodIsStillA405() async throws {
        var router = Router()
        router.post("/form", Self.named("post"))
        let refused = try await Self.answer(router, .get, "/form")
        #expect(refused.status == .methodNotAllowed && refused.headers["Allow"] == "POST, OPTIONS")
    }

    @Test func pathsCompareAsBytesNotAsEquivalentUnicode() async throws {
        var router = Router()
        router.get("/K", Self.named("ascii"))
        // U+212A KELVIN SIGN is canonically equivalent to "K": equal as Swift strings, not as bytes.
        #expect("/\u{212A}" == "/K")
        #expect(try await Self.answer(router, .get, "/\u{212A}").status == .notFound)
        #expect(try await Self.answer(router, .get, "/K").headers["X-Name"] == "ascii")
    }
}
