import HTTPServer
import Lifecycle
import TestSupport
import Testing

/// Shutdown: the drain waits for in-flight work and ends as soon as the last connection closes.
@Suite struct HTTPServerDrainTests {
    /// A router whose `/held` handler signals `started` and answers once `released` yields.
    static func heldRouter() -> (router: Router, started: AsyncStream<Void>, release: AsyncStream<Void>.Continuation) {
        let (started, handlerStarted) = AsyncStream<Void>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        var router = TestServer.makeRouter()
        router.get("/held") { _ in
            handlerStarted.yield()
            for await _ in released { break }
            return HTTPResponse(contentType: "text/plain", body: Array("held".utf8))
        }
        return (router, started, release)
    }

    @Test func theDrainEndsWhenTheLastConnectionClosesLongBeforeTheGracePeriod() async throws {
        let (router, started, release) = Self.heldRouter()
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try server.start()
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        for await _ in started { break }
        let drained = Trigger()
        let drain = Task {
            await server.shutdown(gracePeriod: .seconds(600))
            drained.fire()
        }
        #expect(await !drained.wait(atMost: .milliseconds(200)), "the request in flight is waited for")
        #expect(server.isDraining && server.connectionCount == 1)
        release.yield()
        let response = await client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("held"))
        #expect(await drained.wait(atMost: .seconds(20)), "its close ended the drain, not the grace period")
        #expect(server.connectionCount == 0)
        drain.cancel()
    }

    @Test func withNoConnectionTheDrainEndsAtOnce() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0), responder: TestServer.makeRouter())
        try server.start()
        let drained = Trigger()
        let drain = Task {
            await server.shutdown(gracePeriod: .seconds(600))
            drained.fire()
        }
        #expect(await drained.wait(atMost: .seconds(20)))
        drain.cancel()
    }

    @Test func asAServiceItBindsOnStartAndDrainsInFlightRequestsWhenTheGroupStops() async throws {
        let (router, started, release) = Self.heldRouter()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0, drainTimeout: .seconds(600)), responder: router)
        #expect(server.port == 0, "creating it binds nothing")
        let running = try await ServiceGroup([server]).runInBackground()
        #expect(server.port != 0)
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        for await _ in started { break }
        let stopped = Task { try await running.stop() }
        try #require(try await eventually(seconds: 5) { server.isDraining })
        release.yield()
        try await stopped.value
        let response = await client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("held"))
        #expect(response.contains("Connection: close"))
        #expect(server.connectionCount == 0)
    }
}
