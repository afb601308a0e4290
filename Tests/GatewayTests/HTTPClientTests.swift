import Gateway
import HTTPServer
import HTTPValues
import TestSupport
import Testing

/// The libcurl client against our own HTTP server on loopback.
@Suite struct HTTPClientTests {
    static func withEchoServer(_ body: (Int) async throws -> Void) async throws {
        var router = Router()
        router.add(.post, "/echo") { request in
            var headers: HTTPHeaders = ["X-Method": request.method.rawValue]
            headers.add(name: "X-Seen-Auth", value: request.headers["Authorization"] ?? "none")
            return HTTPResponse(
                status: .created, contentType: "application/octet-stream", body: request.body, headers: headers)
        }
        router.get("/missing") { _ in throw HTTPError(.notFound, code: "not_found", message: "nope") }
        router.get("/slow") { _ in
            try await Task.sleep(for: .seconds(3))
            return HTTPResponse()
        }
        router.get("/big") { _ in HTTPResponse(contentType: "text/plain", body: [UInt8](repeating: 65, count: 100_000))
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try server.start()
        do {
            try await body(server.port)
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        await server.shutdown(gracePeriod: .zero)
    }

    @Test func postsBodiesAndHeadersAndReadsTheAnswer() async throws {
        try await Self.withEchoServer { port in
            let client = HTTPClient()
            defer { client.shutdown() }
            let body = Array("To=%2B15551234567&Body=h%C3%A9".utf8)
            let response = try await client.send(
                HTTPClientRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/echo",
                    headers: [("Authorization", "Basic abc"), ("Content-Type", "application/x-www-form-urlencoded")],
                    body: body))
            #expect(response.status == 201)
            #expect(response.body == body)
            #expect(response.header("x-seen-auth") == "Basic abc")
            #expect(response.header("X-Method") == "POST")
            let missing = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/missing"))
            #expect(missing.status == 404)
        }
    }

    @Test func runsManyTransfersAtOnce() async throws {
        try await Self.withEchoServer { port in
            let client = HTTPClient()
            defer { client.shutdown() }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let response = try await client.send(
                            HTTPClientRequest(
                                method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array("n=\(index)".utf8)))
                        return response.body == Array("n=\(index)".utf8) ? response.status : -1
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 64 && statuses.allSatisfy { $0 == 201 })
        }
    }

    @Test func classifiesTransportFailures() async throws {
        try await Self.withEchoServer { port in
            let client = HTTPClient(configuration: HTTPClient.Configuration(maxResponseBytes: 10_000))
            defer { client.shutdown() }
            let timeout = await #expect(throws: GatewayError.self) {
                _ = try await client.send(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(200)))
            }
            #expect(timeout?.kind == .timeout && timeout?.isRetryable == true)
            let big = await #expect(throws: GatewayError.self) {
                _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/big"))
            }
            #expect(big?.kind == .invalidResponse)
        }
        let client = HTTPClient()
        defer { client.shutdown() }
        let refused = await #expect(throws: GatewayError.self) {
            _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:1/nothing"))
        }
        #expect(refused?.kind == .connect)
    }

    @Test func abortsTheTransferWhenItsTaskIsCancelled() async throws {
        let silent = SilentLoopbackPort()
        let client = HTTPClient()
        defer { client.shutdown() }
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(silent.port)/never", timeout: .seconds(5))
        let transfer = Task { try await client.send(request) }
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        var start = clock.now
        transfer.cancel()
        let result = await transfer.result
        #expect(clock.now - start < .seconds(1), "aborted promptly, not at the timeout")
        let cancelled = #expect(throws: GatewayError.self) { try result.get() }
        #expect(cancelled?.kind == .cancelled && cancelled?.isRetryable == true)

        start = clock.now
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(request)
        }
        let early = await #expect(throws: GatewayError.self) { try await cancelledFirst.value }
        #expect(early?.kind == .cancelled)
        #expect(clock.now - start < .seconds(1), "a task cancelled before it sends starts no transfer")
    }
}
