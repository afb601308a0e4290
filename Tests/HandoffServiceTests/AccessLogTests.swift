import HTTPServer
import Logging
import Synchronization
import TestSupport
import Testing

@testable import HandoffHTTP
@testable import HandoffService

/// The access log and the request metrics (`AccessLogMiddleware`) on a live server.
@Suite struct AccessLogTests {
    /// How many requests reached the waiting handler.
    private final class Arrivals: Sendable {
        let count = Atomic<Int>(0)
    }

    /// A client that closes its connection while its request waits is logged and counted as 499
    /// (nginx's "client closed request"), at info level: no server error, no 5xx. A handler that
    /// throws `CancellationError` while its client still waits is a server error as before.
    @Test func aClientThatLeavesMidRequestIsA499NotAServerError() async throws {
        let sink = LogSink.capturing()
        let logger = Logger(label: "test") { LogLineHandler(label: $0, level: .info, format: .logfmt, sink: sink) }
        let metrics = HTTPMetrics()
        let arrivals = Arrivals()
        var router = Router()
        router.middleware = [AccessLogMiddleware(logger: logger, metrics: metrics)]
        router.get("/wait") { _ in
            arrivals.count.add(1, ordering: .sequentiallyConsistent)
            try await Task.sleep(for: .seconds(30))
            return HTTPResponse(contentType: "text/plain", body: Array("late".utf8))
        }
        router.get("/fail") { _ in throw CancellationError() }
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try server.start()
        do {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await eventually { arrivals.count.load(ordering: .sequentiallyConsistent) == 1 })
        }  // The client closes its socket here.
        #expect(try await eventually { sink.lines.contains { $0.contains("route=/wait") } })
        let line = try #require(sink.lines.first { $0.contains("route=/wait") })
        #expect(line.contains("status=499") && line.contains("level=info") && line.contains("msg=request"), "\(line)")
        #expect(!line.contains("error"), "\(line)")

        let failed = try await HTTPTestClient(port: server.port).request("GET", "/fail")
        #expect(failed.status == 500, "its client still waits: a server error")
        let exposition = metrics.render()
        #expect(exposition.contains(#"handoff_http_requests_total{method="GET",route="/wait",status="499"} 1"#))
        #expect(!exposition.contains(#"route="/wait",status="5"#))
        #expect(exposition.contains(#"handoff_http_requests_total{method="GET",route="/fail",status="500"} 1"#))
        await server.shutdown(gracePeriod: .zero)
    }
}
