import HTTPServer
import Synchronization
import TestSupport
import Testing

/// Live tests: a real server on an ephemeral loopback port, spoken to over TCP byte by byte.
@Suite struct HTTPServerTests {
    @Test func answersWithLengthDateAndServer() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.contains("\r\nContent-Length: 5\r\n"))
            #expect(response.contains("\r\nDate: "))
            #expect(response.contains("\r\nServer: handoff\r\n"))
            #expect(response.contains("\r\nConnection: close\r\n"))
            #expect(response.hasSuffix("\r\n\r\nhello"))
        }
    }

    @Test func theTimeoutSweepRunsOnlyWhileAConnectionIsOpen() async throws {
        try await TestServer.withServer { server in
            #expect(!server.isSweeping, "a server nobody has connected to is not woken")
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await client.read(until: "hello").hasSuffix("hello"))
            #expect(server.isSweeping, "an open connection's timeouts are checked")
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            _ = await client.readToEnd()
            #expect(try await eventually { !server.isSweeping }, "the sweep stops once none is open")
            let next = try RawHTTPClient(port: server.port)
            try next.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await next.read(until: "hello").hasSuffix("hello"))
            #expect(server.isSweeping, "the next connection starts it again")
        }
    }

    @Test func aHeaderValueWithCROrLFCannotSplitTheHead() async throws {
        var router = Router()
        router.get("/split") { _ in
            HTTPResponse(headers: ["X-Plain": "one two", "X-Split": "a\r\nX-Injected: 1\nb"])
        }
        try await TestServer.withServer(responder: router) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /split HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.contains("\r\nX-Plain: one two\r\n"))
            #expect(response.contains("\r\nX-Split: aX-Injected: 1b\r\n"))
            #expect(!response.contains("\nX-Injected"))
        }
    }

    @Test func listensOnIPv6Loopback() async throws {
        try await TestServer.withServer(HTTPServerConfiguration(host: "::1")) { server in
            let client = try RawHTTPClient(port: server.port, ipv6: true)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(await client.readToEnd().hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "GET /slow HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /items/a%20b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            let slow = try #require(response.range(of: "slow"))
            let echo = try #require(response.range(of: "abc"))
            let item = try #require(response.range(of: "item a b"))
            #expect(slow.upperBound <= echo.lowerBound && echo.upperBound <= item.lowerBound)
            #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        }
    }

    @Test func servesHeadWithoutABody() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            let parts = response.components(separatedBy: "HTTP/1.1 200 OK")
            #expect(parts.count == 3)
            #expect(parts[1].contains("Content-Length: 5") && parts[1].hasSuffix("\r\n\r\n"))
        }
    }

    @Test func reportsUnknownPathsAndMethods() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "GET /nope HTTP/1.1\r\nHost: t\r\n\r\nDELETE /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.contains("HTTP/1.1 404 Not Found"))
            #expect(response.contains(#"{"error":{"code":"not_found""#))
            #expect(response.contains("HTTP/1.1 405 Method Not Allowed"))
            #expect(response.contains("Allow: GET, HEAD, OPTIONS"))
        }
    }

    @Test func rejectsMalformedRequestsAndCloses() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nGET /hello HTTP/1.1\r\n"
            )
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(response.contains("conflicting_content_length"))
            #expect(response.contains("Connection: close"))
            #expect(response.components(separatedBy: "HTTP/1.1").count == 2, "nothing after the error")
        }
    }

    @Test func sendsContinueBeforeTheBody() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
            )
            let interim = await client.read(until: "\r\n\r\n")
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            try client.send("body")
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("body"))
        }
    }

    @Test func closesAfterAnHTTP10Response() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /hello HTTP/1.0\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.contains("Connection: close") && response.hasSuffix("hello"))
        }
    }

    @Test func streamsChunkedBodies() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.contains("Transfer-Encoding: chunked\r\n"))
            #expect(!response.contains("Content-Length"))
            #expect(response.hasSuffix("\r\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n9\r\ndata: 3\n\n\r\n0\r\n\r\n"))
        }
    }

    @Test func turnsUnexpectedErrorsInto500AndReportsThem() async throws {
        let reported = Mutex(0)
        try await TestServer.withServer(onError: { _, _ in reported.withLock { $0 += 1 } }) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /fail HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 500 Internal Server Error"))
            #expect(response.contains("internal_error"))
        }
        #expect(reported.withLock { $0 } == 1)
    }

    @Test func refusesConnectionsPastTheCap() async throws {
        try await TestServer.withServer(HTTPServerConfiguration(maxConnections: 1)) { server in
            let first = try RawHTTPClient(port: server.port)
            try first.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = await first.read(until: "hello")
            let second = try RawHTTPClient(port: server.port)
            let response = await second.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 503 Service Unavailable"))
            #expect(response.contains("Retry-After: 1"))
        }
    }

    @Test func capsConnectionsPerAddressAndLeavesOtherAddressesServed() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 10, maxConnectionsPerAddress: 2)
        try await TestServer.withServer(configuration) { server in
            let held = try (0..<2).map { _ in try RawHTTPClient(port: server.port) }
            #expect(try await eventually(seconds: 5) { server.connectionCount == 2 })
            let third = try RawHTTPClient(port: server.port)
            let refused = await third.readToEnd()
            #expect(refused.hasPrefix("HTTP/1.1 429 Too Many Requests"))
            #expect(refused.contains("Retry-After: 1") && refused.contains("too_many_connections"))
            let other = try RawHTTPClient(port: server.port, source: "127.0.0.2")
            try other.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(await other.readToEnd().hasSuffix("hello"), "another address is not held back")
            try held[0].send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(await held[0].readToEnd().hasSuffix("hello"), "connections under the cap are served")
            #expect(try await eventually(seconds: 5) { server.connectionCount == 1 })
            let again = try RawHTTPClient(port: server.port)
            try again.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(await again.readToEnd().hasSuffix("hello"), "a closed connection frees its place")
        }
    }

    @Test func exemptAddressesAreNotCappedPerAddress() async throws {
        let configuration = HTTPServerConfiguration(maxConnectionsPerAddress: 1, isExemptPeer: { $0 == "127.0.0.1" })
        try await TestServer.withServer(configuration) { server in
            let clients = try (0..<3).map { _ in try RawHTTPClient(port: server.port) }
            for client in clients {
                try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(await client.read(until: "hello").hasPrefix("HTTP/1.1 200 OK"))
            }
            let capped = try RawHTTPClient(port: server.port, source: "127.0.0.2")
            let second = try RawHTTPClient(port: server.port, source: "127.0.0.2")
            try capped.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await capped.read(until: "hello").hasPrefix("HTTP/1.1 200 OK"))
            #expect(await second.readToEnd().hasPrefix("HTTP/1.1 429"), "other addresses keep the cap")
        }
    }

    @Test func aBodyTrickledFasterThanTheInactivityTimeoutStillMeetsItsDeadline() async throws {
        let configuration = HTTPServerConfiguration(bodyTimeout: .seconds(5), bodyDeadline: .milliseconds(800))
        try await TestServer.withServer(configuration) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            let trickle = Task {
                for _ in 0..<100 {
                    try await Task.sleep(for: .milliseconds(100))
                    try client.send("x")
                }
            }
            let response = await client.read(until: "\r\n\r\n")
            trickle.cancel()
            #expect(response.hasPrefix("HTTP/1.1 408 Request Timeout"))
        }
    }

    @Test func timesOutSlowHeadsWith408() async throws {
        let configuration = HTTPServerConfiguration(headerTimeout: .milliseconds(300))
        try await TestServer.withServer(configuration) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n")
            try await Task.sleep(for: .milliseconds(150))
            try client.send("X-Drip: 1\r\n")
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 408 Request Timeout"))
        }
    }

    @Test func closesIdleKeepAliveConnections() async throws {
        let configuration = HTTPServerConfiguration(idleTimeout: .seconds(1))
        try await TestServer.withServer(configuration) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = await client.read(until: "hello")
            let rest = await client.readToEnd()
            #expect(rest == "")
            // Both times are taken on the client's reading thread, so a busy test pool cannot skew them.
            let open = try #require(client.closedAt) - (try #require(client.lastReceivedAt))
            #expect(open >= .milliseconds(900), "kept alive after the response")
            #expect(open < .seconds(4), "closed by the idle timeout, not by the read timeout")
        }
    }

    @Test func holdsBackAStreamWhenTheClientDoesNotRead() async throws {
        let produced = Atomic<Int>(0)
        var router = Router()
        router.get("/firehose") { _ in
            HTTPResponse(
                body: .stream { writer in
                    let chunk = [UInt8](repeating: 120, count: 16 * 1024)
                    while true {
                        try await writer.write(chunk)
                        produced.add(chunk.count, ordering: .relaxed)
                    }
                })
        }
        try await TestServer.withServer(responder: router) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /firehose HTTP/1.1\r\nHost: t\r\n\r\n")
            // Socket buffers fill first (a few MB on loopback); then the producer must stall.
            var previous = -1
            var stalled = produced.load(ordering: .relaxed)
            for _ in 0..<50 where stalled != previous || stalled == 0 {
                previous = stalled
                try await Task.sleep(for: .milliseconds(200))
                stalled = produced.load(ordering: .relaxed)
            }
            try await Task.sleep(for: .milliseconds(300))
            let first = stalled
            let second = produced.load(ordering: .relaxed)
            #expect(first > 0)
            #expect(first == second, "the producer is suspended while the client reads nothing")
            #expect(second < 64 * 1024 * 1024, "only socket buffers and the high-water mark are filled")
        }
    }

    @Test func drainsInFlightRequestsOnShutdown() async throws {
        let (started, handlerStarted) = AsyncStream<Void>.makeStream()
        let (released, releaseHandler) = AsyncStream<Void>.makeStream()
        var router = TestServer.makeRouter()
        router.get("/held") { _ in
            handlerStarted.yield()
            for await _ in released { break }
            return HTTPResponse(contentType: "text/plain", body: Array("held".utf8))
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try server.start()
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        for await _ in started { break }
        let idle = try RawHTTPClient(port: server.port)
        try #require(try await eventually(seconds: 5) { server.connectionCount == 2 })
        async let drained: Void = server.shutdown(gracePeriod: .seconds(5))
        // The idle connection closes at once; the busy one waits for its response.
        try #require(try await eventually(seconds: 5) { server.connectionCount == 1 })
        #expect(server.isDraining)
        releaseHandler.yield()
        await drained
        let response = await client.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200 OK") && response.hasSuffix("held"))
        #expect(response.contains("Connection: close"))
        let idleRest = await idle.readToEnd()
        #expect(idleRest == "")
    }
}

/// More live tests: uploads, limits, and an independent HTTP/1.1 implementation reading our bytes.
@Suite struct HTTPServerFramingTests {
    @Test func acceptsChunkedUploads() async throws {
        try await TestServer.withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            try client.send("4\r\nwiki\r\n5\r\npedia\r\n")
            try await Task.sleep(for: .milliseconds(20))
            try client.send("0\r\nX-Trailer: yes\r\n\r\n")
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 200 OK"))
            #expect(response.hasSuffix("Content-Length: 9\r\nConnection: close\r\n\r\nwikipedia"))
        }
    }

    @Test func refusesOversizedBodiesWith413() async throws {
        let configuration = HTTPServerConfiguration(parserLimits: HTTPParserLimits(maxBodyBytes: 1024))
        try await TestServer.withServer(configuration) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "x", count: 5000))
            let response = await client.readToEnd()
            #expect(response.hasPrefix("HTTP/1.1 413 Content Too Large"))
            #expect(response.contains("body_too_large"))
        }
    }

    struct OracleRequest: Encodable {
        var method: String
        var target: String
        var headers: [[String]] = []
        var body = ""
    }

    struct OracleInput: Encodable {
        var port: Int
        var requests: [OracleRequest]
    }

    struct OracleResult: Decodable {
        var status: Int?
        var headers: [String: String]
        var body: String
        var error: String?
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with h11 (make test sets it)"))
    func h11ParsesEveryResponseShape() async throws {
        try await TestServer.withServer { server in
            let input = OracleInput(
                port: server.port,
                requests: [
                    OracleRequest(method: "GET", target: "/hello"),
                    OracleRequest(method: "HEAD", target: "/hello"),
                    OracleRequest(method: "POST", target: "/echo", body: "héllo wörld"),
                    OracleRequest(method: "GET", target: "/stream"),
                    OracleRequest(method: "GET", target: "/missing"),
                    OracleRequest(method: "PUT", target: "/hello"),
                    OracleRequest(method: "GET", target: "/items/7", headers: [["Connection", "close"]]),
                ])
            let results = try await offPool {
                try PythonOracle.runJSON(script: "h11_check.py", input: input, as: [OracleResult].self)
            }
            #expect(results.count == 7)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(results.map(\.status) == [200, 200, 200, 200, 404, 405, 200])
            #expect(results[0].body == "hello")
            #expect(results[1].body == "" && results[1].headers["content-length"] == "5")
            #expect(results[2].body == "héllo wörld")
            #expect(results[3].body == "data: 1\n\ndata: 2\n\ndata: 3\n\n")
            #expect(results[5].headers["allow"] == "GET, HEAD, OPTIONS")
            #expect(results[6].body == "item 7")
        }
    }
}
