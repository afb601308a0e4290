import HTTPServer
import HTTPValues
import Synchronization
import Testing

/// `HTTPServer.respond(to:)`: a request answered without a socket gets what a connection gives it,
/// its id and its errors rendered, so in-process tests see what a client would.
@Suite struct InProcessRespondTests {
    struct Boom: Error {}

    /// What the server reported to its error handler.
    final class Reports: Sendable {
        let lines = Mutex<[String]>([])
    }

    static func server(reported: Reports = Reports()) -> HTTPServer {
        var router = Router()
        router.get("/id") { request in HTTPResponse(contentType: "text/plain", body: Array(request.requestID.utf8)) }
        router.get("/refused") { _ in throw HTTPError(.conflict, code: "taken", message: "Already there.") }
        router.get("/broken") { _ in throw Boom() }
        return HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router) { error, request in
            reported.lines.withLock { $0.append("\(error) \(request?.path ?? "-")") }
        }
    }

    static func body(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "(stream)" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func givesEachRequestAnIdKeepingASaneOneFromTheClient() async throws {
        let server = Self.server()
        let fresh = Self.body(await server.respond(to: HTTPRequest(method: .get, target: "/id")))
        let other = Self.body(await server.respond(to: HTTPRequest(method: .get, target: "/id")))
        #expect(!fresh.isEmpty && fresh != other)
        let given = HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": "abc-123"])
        #expect(Self.body(await server.respond(to: given)) == "abc-123")
        let insane = HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": "a b"])
        #expect(Self.body(await server.respond(to: insane)) != "a b")
    }

    @Test func rendersErrorsAndReportsOnlyTheUnexpectedOnes() async throws {
        let reported = Reports()
        let server = Self.server(reported: reported)
        let refused = await server.respond(to: HTTPRequest(method: .get, target: "/refused"))
        #expect(refused.status.code == 409 && Self.body(refused).contains(#""code":"taken""#))
        let missing = await server.respond(to: HTTPRequest(method: .post, target: "/nowhere"))
        #expect(missing.status.code == 404)
        #expect(reported.lines.withLock { $0 }.isEmpty)
        let broken = await server.respond(to: HTTPRequest(method: .get, target: "/broken"))
        #expect(broken.status.code == 500 && Self.body(broken).contains("internal_error"))
        #expect(reported.lines.withLock { $0 } == ["Boom() /broken"])
    }
}
