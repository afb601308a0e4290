import Foundation
import GatewaySimulator
import HTTPServer
import HTTPValues
import HandoffCore
import HandoffHTTP
import Logging
import TestSupport
import Testing

@testable import HandoffService

/// The one application fixture of the service's tests: a `HandoffApplication` on a temporary
/// database with the simulator gateway, started, and a client to talk to it, in one of two modes.
/// The database is a SQLite file, or a scratch PostgreSQL database when `HANDOFF_TEST_BACKEND` is
/// `postgresql` (`make test`'s second pass; see `Backend.ofTestApplication`).
///
/// - `inProcess`: requests go through the routes and middleware directly (`HTTPServer.respond`),
///   no socket per request: for handler and use-case logic. The simulator still runs on its own
///   loopback listener (it is how the application sends texts), but nothing reaches our webhooks
///   from outside: the public URL is a loopback port that refuses connections, so delivery
///   reports and simulated replies are refused; tests that need them run live.
/// - `live`: the real server on a loopback port known before start (signatures cover the public
///   URL), for the HTTP layer, event streams, browsers, and texts coming back from the simulator.
enum TestApplication {
    enum Mode {
        case inProcess
        case live
    }

    /// The bot/agent API key every application accepts.
    static let apiKey = "test-key-0123456789"
    /// The widget origin every application allows.
    static let origin = "https://shop.example"
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A configuration on a database in `directory`, listening on an ephemeral loopback port.
    static func configuration(in directory: TemporaryDirectory) -> Configuration {
        var configuration = Configuration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.databasePath = directory.file("handoff.sqlite").path
        configuration.migrationsDirectory = repositoryRoot.appendingPathComponent("migrations").path
        configuration.databaseReaders = 2
        return configuration
    }

    /// A trusted-proxies setting from addresses and blocks, as the configuration parses it.
    static func trustedProxies(_ entries: [String]) throws -> TrustedProxies {
        try TrustedProxies.parse(entries).get()
    }

    /// Runs `body` against an application in process (see `Mode.inProcess`).
    static func inProcess(
        _ adjust: (inout Configuration) -> Void = { _ in },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        try await run(.inProcess, adjust, body)
    }

    /// Runs `body` against an application serving on loopback (see `Mode.live`).
    static func live(
        _ adjust: (inout Configuration) -> Void = { _ in },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        try await run(.live, adjust, body)
    }

    /// Starts an application in `mode` with the tests' settings (API key, widget origin, plain
    /// cookies, no quiet hours: they have tests of their own) and `adjust`'s, runs `body`, and
    /// shuts the application down whatever happens.
    static func run(
        _ mode: Mode,
        _ adjust: (inout Configuration) -> Void = { _ in },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        switch Backend.ofTestApplication {
        case .sqlite:
            try await start(mode, on: nil, adjust, body)
        case .postgresql:
            guard postgresTestServer != nil else { throw PostgresTestServerMissing() }
            try await ScratchDatabase.with { scratch in try await start(mode, on: scratch.uri, adjust, body) }
        }
    }

    /// `run` on `database` (a path or a URI; nil: the SQLite file of `configuration(in:)`), or on
    /// the one `adjust` sets.
    private static func start(
        _ mode: Mode,
        on database: String?,
        _ adjust: (inout Configuration) -> Void,
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        // Live: the port must be known before start (signatures cover the public URL); another test
        // may take a port between our probe and our bind, so try a few.
        let refusing = mode == .inProcess ? RefusingLoopbackPort() : nil
        defer { withExtendedLifetime(refusing) {} }
        var started: (HandoffApplication, Int)?
        for _ in 0..<5 where started == nil {
            let port = refusing == nil ? freeLoopbackPort() : 0
            var configuration = Self.configuration(in: directory)
            configuration.listen = ListenAddress(host: "127.0.0.1", port: port)
            configuration.publicURL = "http://127.0.0.1:\(refusing?.port ?? port)"
            configuration.apiKeys = [apiKey]
            configuration.widgetOrigins = [origin]
            configuration.cookieSecure = false
            configuration.quietHours = QuietHours(start: 0, end: 24 * 60)
            if let database { configuration.databasePath = database }
            adjust(&configuration)
            let application = HandoffApplication(configuration: configuration, logger: silent)
            do {
                try await application.start()
                started = (application, port)
            } catch let error as HTTPServerError where error.code == "bind_failed" {
                await application.shutdown()
            }
        }
        let (application, port) = try #require(started)
        let client =
            switch mode {
            case .live: HTTPTestClient(port: port)
            case .inProcess: HTTPTestClient(inProcess: exchange(with: application))
            }
        do {
            try await body(application, client, try #require(application.gatewaySetup.simulator))
        } catch {
            await application.shutdown()
            throw error
        }
        await application.shutdown()
    }

    private static let silent = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Hands a test request to the application's responder as the server would after parsing it
    /// (with the `Host` and `Content-Length` the live client sends), and reads the response back
    /// as the live client would, body dropped for HEAD.
    private static func exchange(with application: HandoffApplication) -> HTTPTestClient.Exchange {
        { request in
            var headers = HTTPHeaders(request.headers.map { ($0.name, $0.value) })
            if !headers.contains("Host") { headers.add(name: "Host", value: "127.0.0.1") }
            let body = Array((request.body ?? "").utf8)
            if request.body != nil { headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)") }
            let response = await application.respond(
                to: HTTPRequest(
                    method: HTTPMethod(rawValue: request.method), target: request.target, headers: headers, body: body,
                    remoteAddress: request.source ?? "127.0.0.1"))
            guard case .bytes(let bytes) = response.body else { throw StreamedResponseInProcess() }
            return HTTPTestClient.Response(
                status: response.status.code, headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: request.method == "HEAD" ? "" : String(decoding: bytes, as: UTF8.self))
        }
    }

    /// `HANDOFF_TEST_BACKEND=postgresql` without a PostgreSQL test server to create databases on.
    struct PostgresTestServerMissing: Error, CustomStringConvertible {
        var description: String {
            "HANDOFF_TEST_BACKEND=postgresql needs HANDOFF_TEST_POSTGRES (.ci/postgres.sh start DIR)"
        }
    }

    /// An in-process client got a streamed response (an event stream): such tests run live.
    struct StreamedResponseInProcess: Error, CustomStringConvertible {
        var description: String { "a streamed response cannot be read in process: run this test's application live" }
    }
}
