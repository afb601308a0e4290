import Foundation
import HTTPServer
import Logging
import TestSupport
import Testing

@testable import HandoffService

/// The whole service on an ephemeral loopback port with a temporary database.
@Suite struct HandoffApplicationTests {
    @Test func servesTheOperationsEndpoints() async throws {
        let directory = try TemporaryDirectory()
        let sink = LogSink.capturing()
        let logger = Logger(label: "test") { LogLineHandler(label: $0, level: .info, format: .logfmt, sink: sink) }
        let application = HandoffApplication(
            configuration: TestApplication.configuration(in: directory), logger: logger)
        try await application.start()
        let client = HTTPTestClient(port: application.port)

        let health = try await client.request("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.header("X-Request-Id") != nil)
        #expect(try await client.request("GET", "/readyz").status == 200)

        let missing = try await client.request("GET", "/v1/nothing", headers: [("X-Request-Id", "abc-123")])
        #expect(missing.status == 404)
        #expect(missing.header("X-Request-Id") == "abc-123")
        #expect((missing.json?["error"] as? [String: Any])?["code"] as? String == "not_found")

        let openAPI = try await client.request("GET", "/openapi.yaml")
        #expect(openAPI.status == 200 && openAPI.body.hasPrefix("openapi: 3"))

        let metrics = try await client.request("GET", "/metrics")
        #expect(metrics.body.contains(#"handoff_http_requests_total{method="GET",route="/healthz",status="200"} 1"#))

        await application.shutdown()
        #expect(sink.lines.contains { $0.contains("route=/healthz") && $0.contains("status=200") })
    }

    @Test func aStartThatFailsStopsWhatStartedAndLeavesTheDatabaseFree() async throws {
        let directory = try TemporaryDirectory()
        let taken = RefusingLoopbackPort()
        var configuration = TestApplication.configuration(in: directory)
        configuration.listen = ListenAddress(host: "127.0.0.1", port: taken.port)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let refused = HandoffApplication(configuration: configuration, logger: logger)
        #expect(refused.port == 0, "creating it binds nothing")
        // The simulator and the loops started before the server failed to bind, then stopped.
        await #expect(throws: HTTPServerError.self) { try await refused.start() }
        configuration.listen.port = 0
        let application = HandoffApplication(configuration: configuration, logger: logger)
        try await application.start()
        #expect(try await HTTPTestClient(port: application.port).request("GET", "/readyz").status == 200)
        await application.shutdown()
    }

    @Test func refusesToStartOnAnEditedMigration() async throws {
        let directory = try TemporaryDirectory()
        let migrations = directory.file("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try Data("CREATE TABLE a (id INTEGER);".utf8).write(to: migrations.appendingPathComponent("0001_a.sql"))
        var configuration = TestApplication.configuration(in: directory)
        configuration.migrationsDirectory = migrations.path
        #expect(try await HandoffApplication.migrate(configuration) == ["0001_a.sql"])
        try Data("CREATE TABLE a (id TEXT);".utf8).write(to: migrations.appendingPathComponent("0001_a.sql"))
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        await #expect(throws: (any Error).self) {
            try await HandoffApplication(configuration: configuration, logger: logger).start()
        }
    }

    /// A stopped and released application closes what it opened: nothing (a retain cycle through
    /// the routes, a loop that never ends) may keep its database and sockets alive. The test
    /// process starts hundreds of applications: each leak here once added its descriptors to the
    /// process until Foundation's `Process` (the Python oracles) crashed reading `/proc/self/fd`.
    @Test func aStoppedApplicationIsReleasedWithTheFilesItOpened() async throws {
        let directory = try TemporaryDirectory()
        let database = WeakReference()
        do {
            let application = HandoffApplication(
                configuration: TestApplication.configuration(in: directory),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            try await application.start()
            database.object = application.database as AnyObject
            let client = HTTPTestClient(port: application.port)
            #expect(try await client.request("GET", "/readyz").status == 200)
            await application.shutdown()
        }
        for _ in 0..<50 where database.object != nil || !Self.openFiles(under: directory.path).isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(database.object == nil, "something still holds the database")
        #expect(Self.openFiles(under: directory.path) == [])
    }

    /// The files under `folder` this process has open (deleted ones included).
    private static func openFiles(under folder: String) -> [String] {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
        }
        .filter { $0.hasPrefix(folder) }
    }
}

/// Watches an object without keeping it alive.
private final class WeakReference: @unchecked Sendable {
    weak var object: AnyObject?
}
