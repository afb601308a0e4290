import Dispatch
import Glibc
import HTTPValues
import Synchronization
import TestSupport
import Testing

@testable import HTTPServer

/// The per-connection state machine at the unit level: one `HTTPConnection` on one end of a
/// socket pair (no listener, no TCP, no port), its clock moved by handing `checkTimeouts` a
/// future instant instead of waiting. Pipelining order, keep-alive against close, the head, body,
/// idle and write deadlines, and draining.
@Suite struct HTTPConnectionTests {
    /// A connection under test and the client end of its socket pair.
    struct Harness {
        let connection: HTTPConnection
        /// The connection's serial queue.
        let queue: DispatchQueue
        let client: RawHTTPClient
        /// Signalled each time a request reaches the responder.
        let entered: AsyncStream<String>
        /// Lets the one `/held` request answer.
        let release: AsyncStream<Void>.Continuation

        /// Waits for the next request to reach the responder; returns its path.
        func nextRequest() async -> String? {
            var iterator = entered.makeAsyncIterator()
            return await iterator.next()
        }

        /// Lets every event already queued on the connection run.
        func settle() async {
            await withCheckedContinuation { continuation in
                queue.async { continuation.resume() }
            }
        }

        /// Closes the connection whatever its state (the end of every test).
        func close() { connection.forceClose() }
    }

    /// Routes for the tests: `/fast`, `/slow` (200 ms), `/held` (answers once `released` yields),
    /// `/big` (4 MB), `/stream` (one event, then waits until cancelled), `/echo` (the body back).
    static func makeRouter(entered: AsyncStream<String>.Continuation, released: AsyncStream<Void>) -> Router {
        var router = Router()
        router.middleware = [Announce(entered: entered)]
        router.get("/fast") { _ in HTTPResponse(contentType: "text/plain", body: Array("fast".utf8)) }
        router.get("/held") { _ in
            var iterator = released.makeAsyncIterator()
            _ = await iterator.next()
            return HTTPResponse(contentType: "text/plain", body: Array("held".utf8))
        }
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(200))
            return HTTPResponse(contentType: "text/plain", body: Array("slow".utf8))
        }
        router.get("/big") { _ in
            HTTPResponse(contentType: "text/plain", body: [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20))
        }
        router.get("/stream") { _ in
            HTTPResponse(
                headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array("data: first\n\n".utf8))
                    while true { try await Task.sleep(for: .seconds(1)) }
                })
        }
        router.post("/echo") { request in HTTPResponse(contentType: "text/plain", body: request.body) }
        return router
    }

    /// Tells the test which request reached the responder.
    struct Announce: HTTPMiddleware {
        let entered: AsyncStream<String>.Continuation

        func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
            entered.yield(String(request.path))
            return try await next.respond(to: request)
        }
    }

    /// A started connection on a socket pair with `configuration`'s limits and timeouts.
    static func harness(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration()) throws -> Harness {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw RawHTTPClientError(message: "socketpair failed: errno \(errno)")
        }
        let flags = fcntl(pair[0], F_GETFL)
        _ = fcntl(pair[0], F_SETFL, flags | O_NONBLOCK)
        let (entered, continuation) = AsyncStream.makeStream(of: String.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let server = HTTPServer(
            configuration: configuration, responder: makeRouter(entered: continuation, released: released))
        let queue = DispatchQueue(label: "handoff.test.connection")
        let connection = HTTPConnection(
            fd: pair[0], peer: "test", queue: queue, scratch: QueueScratch(readByteCount: 32 * 1024), server: server)
        connection.start()
        return Harness(
            connection: connection, queue: queue, client: RawHTTPClient(connected: pair[1]), entered: entered,
            release: release)
    }

    /// A keep-alive GET of `path`.
    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n" }

    @Test func answersPipelinedRequestsInTheOrderTheyCame() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        try harness.client.send(
            Self.get("/slow") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\necho"
                + "GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let all = await harness.client.readToEnd()
        let slow = try #require(all.range(of: "slow"))
        let echo = try #require(all.range(of: "echo"))
        let fast = try #require(all.range(of: "fast"))
        #expect(slow.upperBound <= echo.lowerBound && echo.upperBound <= fast.lowerBound, "\(all)")
        #expect(all.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        #expect(all.components(separatedBy: "Connection: close").count == 2, "only the last one closes")
    }

    @Test func keepsAliveUntilTheClientAsksToClose() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        for _ in 0..<3 {
            try harness.client.send(Self.get("/fast"))
            let response = await harness.client.read(until: "fast")
            #expect(response.hasPrefix("HTTP/1.1 200 OK") && !response.contains("Connection: close"))
        }
        try harness.client.send("GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let last = await harness.client.readToEnd()
        #expect(last.contains("Connection: close") && last.hasSuffix("fast"))
        #expect(harness.client.closedAt != nil, "closed after the response")
    }

    @Test func closesAfterAnHTTP10ResponseUnlessAskedToKeepAlive() async throws {
        let kept = try Self.harness()
        defer { kept.close() }
        try kept.client.send("GET /fast HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(!(await kept.client.read(until: "fast")).contains("Connection: close"))
        try kept.client.send("GET /fast HTTP/1.0\r\n\r\n")
        #expect((await kept.client.readToEnd()).contains("Connection: close"))
        #expect(kept.client.closedAt != nil)
    }

    @Test func idleConnectionsCloseOnlyPastTheIdleTimeout() async throws {
        let harness = try Self.harness(HTTPServerConfiguration(idleTimeout: .seconds(75)))
        defer { harness.close() }
        try harness.client.send(Self.get("/fast"))
        _ = await harness.client.read(until: "fast")
        harness.connection.checkTimeouts(now: .now + .seconds(70))
        try harness.client.send(Self.get("/fast"))
        #expect((await harness.client.read(until: "fast")).hasSuffix("fast"), "open before the timeout")
        harness.connection.checkTimeouts(now: .now + .seconds(80))
        #expect(await harness.client.readToEnd() == "")
        #expect(harness.client.closedAt != nil, "closed without a response past it")
    }

    @Test func aHeadThatDoesNotArriveInTimeGets408() async throws {
        let harness = try Self.harness(HTTPServerConfiguration(headerTimeout: .seconds(10)))
        defer { harness.close() }
        try harness.client.send("GET /fast HTTP/1.1\r\nHost: t\r\n")
        // The head's first bytes are read at some point after the send: keep sweeping as the
        // server's timer would until they were, and the deadline passed.
        let sweeping = Task {
            while !Task.isCancelled {
                harness.connection.checkTimeouts(now: .now + .seconds(11))
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { sweeping.cancel() }
        let response = await harness.client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 408 Request Timeout"))
        #expect(response.contains("Connection: close") && response.contains("request_timeout"))
        #expect(harness.client.closedAt != nil)
    }

    @Test func aHeadWithinItsTimeIsAnswered() async throws {
        let harness = try Self.harness(HTTPServerConfiguration(headerTimeout: .seconds(10)))
        defer { harness.close() }
        try harness.client.send("GET /fast HTTP/1.1\r\nHost: t\r\n")
        for _ in 0..<10 {
            harness.connection.checkTimeouts(now: .now + .seconds(9))
            try await Task.sleep(for: .milliseconds(10))
        }
        try harness.client.send("\r\n")
        #expect((await harness.client.read(until: "fast")).hasPrefix("HTTP/1.1 200 OK"))
    }

    /// A body that stops arriving for longer than the body timeout gets 408; one that keeps
    /// arriving is still held to the deadline for the whole body.
    @Test(arguments: [
        ("inactivity", Duration.seconds(5), Duration.seconds(100)), ("deadline", .seconds(100), .seconds(5)),
    ])
    func aBodyPastItsTimeGets408(kind: String, bodyTimeout: Duration, bodyDeadline: Duration) async throws {
        for (late, answered) in [(Duration.seconds(4), true), (.seconds(6), false)] {
            let harness = try Self.harness(
                HTTPServerConfiguration(bodyTimeout: bodyTimeout, bodyDeadline: bodyDeadline))
            defer { harness.close() }
            // 100-continue tells us when the head was read and the body began.
            try harness.client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            #expect((await harness.client.read(until: "\r\n\r\n")).hasPrefix("HTTP/1.1 100 Continue"))
            try harness.client.send("ec")
            await harness.settle()
            harness.connection.checkTimeouts(now: .now + late)
            if answered {
                try harness.client.send("ho")
                #expect((await harness.client.read(until: "echo")).contains("200 OK"), "\(kind) \(late)")
            } else {
                let response = await harness.client.readToEnd()
                #expect(response.hasPrefix("HTTP/1.1 408 Request Timeout"), "\(kind) \(late)")
                #expect(response.contains("The request body did not arrive in time."))
            }
        }
    }

    @Test func dropsAClientThatStopsReading() async throws {
        let harness = try Self.harness(HTTPServerConfiguration(writeTimeout: .seconds(30)))
        defer { harness.close() }
        try harness.client.send(Self.get("/big"))
        #expect(await harness.nextRequest() == "/big")
        // The response fills the socket buffers and waits for us; a sweep within the write timeout
        // leaves it waiting, one past it drops the connection.
        try await Task.sleep(for: .milliseconds(100))
        harness.connection.checkTimeouts(now: .now + .seconds(20))
        await harness.settle()
        harness.connection.checkTimeouts(now: .now + .seconds(40))
        let received = await harness.client.readToEnd()
        #expect(received.hasPrefix("HTTP/1.1 200 OK"))
        #expect(received.utf8.count < 4 << 20, "the rest of the body was never sent")
        #expect(harness.client.closedAt != nil)
    }

    @Test func drainingClosesAnIdleConnectionAtOnce() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        try harness.client.send(Self.get("/fast"))
        _ = await harness.client.read(until: "fast")
        harness.connection.beginDrain()
        #expect(await harness.client.readToEnd() == "")
        #expect(harness.client.closedAt != nil)
    }

    @Test func drainingFinishesTheResponseInFlightThenCloses() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        try harness.client.send(Self.get("/held") + Self.get("/fast"))
        #expect(await harness.nextRequest() == "/held")
        harness.connection.beginDrain()
        // The drain reached the connection while its response is still being made.
        await harness.settle()
        harness.release.yield()
        let response = await harness.client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("held"))
        #expect(response.contains("Connection: close"))
        #expect(!response.contains("fast"), "a pipelined request behind it is not started")
    }

    @Test func drainingLetsARequestMidBodyFinishThenCloses() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        try harness.client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        _ = await harness.client.read(until: "\r\n\r\n")
        harness.connection.beginDrain()
        try harness.client.send("echo")
        let response = await harness.client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("echo"))
        #expect(response.contains("Connection: close"))
    }

    @Test func drainingEndsAStreamWithoutItsLastChunk() async throws {
        let harness = try Self.harness()
        defer { harness.close() }
        try harness.client.send(Self.get("/stream"))
        let opening = await harness.client.read(until: "data: first")
        #expect(opening.contains("Transfer-Encoding: chunked"))
        harness.connection.beginDrain()
        let rest = await harness.client.readToEnd()
        #expect(!rest.contains("0\r\n\r\n"), "a cancelled stream must not look complete")
        #expect(harness.client.closedAt != nil)
    }
}
