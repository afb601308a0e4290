import Foundation
import Synchronization
import TestSupport
import Testing

/// The `handoff` binary as operators run it: `serve` until SIGTERM, then exit 0; SIGHUP reloads;
/// the operator commands work on the database beside it.
@Suite struct DaemonProcessTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs `swift build` first"))
    func servesAndDrainsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let (process, _, port) = try await Self.startDaemon(directory)
        defer { Self.stop(process) }
        let health = try await HTTPTestClient(port: port).request("GET", "/readyz")
        #expect(health.status == 200)
        kill(process.processIdentifier, SIGTERM)
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs `swift build` first"))
    func refusesToServeTheSimulatorOnANetworkAddress() async throws {
        let directory = try TemporaryDirectory()
        let exposed = [
            "HANDOFF_LISTEN": "0.0.0.0:\(freeLoopbackPort())", "HANDOFF_PUBLIC_URL": "https://chat.example.com",
        ]
        for command in ["serve", "check-config"] {
            let (status, _, error) = try await Self.run(directory, [command], environment: exposed)
            #expect(status != 0, "\(command)")
            #expect(error.contains("HANDOFF_GATEWAY") && error.contains("loopback"), "\(command): \(error)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs `swift build` first"))
    func reloadsOnSIGHUPAndKeepsTheOldSettingsWhenTheNewOnesAreInvalid() async throws {
        let directory = try TemporaryDirectory()
        let config = directory.file("handoff.yaml")
        try "max_message_chars: 2000\n".write(to: config, atomically: true, encoding: .utf8)
        let (process, log, port) = try await Self.startDaemon(directory, arguments: ["--config", config.path])
        defer { Self.stop(process) }
        let client = HTTPTestClient(port: port)
        let (cookie, _) = try await API.startSession(client)
        let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
        let message = #"{"body":"twenty characters ok"}"#
        #expect(try await client.request("POST", "/v1/messages", headers: headers, body: message).status == 201)

        try "max_message_chars: 10\ndb_readers: 3\n".write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await log.waitFor("msg=\"changed settings that take effect only after a restart\" settings=db_readers")
        #expect(try await client.request("POST", "/v1/messages", headers: headers, body: message).status == 422)

        try "max_message_chars: -3\n".write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await log.waitFor("configuration reload rejected")
        let still = try await client.request("POST", "/v1/messages", headers: headers, body: message)
        #expect(still.status == 422, "the running configuration (10 characters) is kept")
        #expect(try await client.request("GET", "/readyz").status == 200, "and the daemon serves on")

        kill(process.processIdentifier, SIGTERM)
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs `swift build` first"))
    func operatorCommandsWorkBesideTheDaemonAndRestoreWaitsForItToStop() async throws {
        let directory = try TemporaryDirectory()
        let (process, _, _) = try await Self.startDaemon(directory)
        defer { Self.stop(process) }
        let added = try await Self.run(
            directory, ["suppressions", "add", "--phone", "+14155550123", "--reason", "asked on the phone"])
        #expect(added.status == 0)
        let shown = try await Self.run(directory, ["suppressions", "show", "--phone", "(415) 555-0123"])
        let detail = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
        #expect((detail?["history"] as? [[String: Any]])?.first?["actor"] as? String == "cli")
        let outbox = try await Self.run(directory, ["outbox", "list", "--state", "dead"])
        #expect(outbox.status == 0 && outbox.output.contains("\"items\""))
        let unknown = try await Self.run(directory, ["outbox", "replay", "42"])
        #expect(unknown.status == 1 && unknown.error.contains("No such outbox row"))
        let backup = directory.file("backup.sqlite").path
        #expect(try await Self.run(directory, ["backup", backup]).status == 0)
        let refused = try await Self.run(directory, ["restore", backup])
        #expect(refused.status == 1 && refused.error.contains("in use"), "never under a running daemon")

        kill(process.processIdentifier, SIGTERM)
        try await offPool { process.waitUntilExit() }
        let restored = try await Self.run(directory, ["restore", backup])
        #expect(restored.status == 0, "\(restored.error)")
        #expect(restored.output.contains("previous database is kept"))
    }

    static func environment(_ directory: TemporaryDirectory) -> [String: String] {
        [
            "HANDOFF_LISTEN": "127.0.0.1:0",
            "HANDOFF_DATABASE": directory.file("db/handoff.sqlite").path,
            "HANDOFF_MIGRATIONS": TestApplication.repositoryRoot.appendingPathComponent("migrations").path,
            "HANDOFF_COOKIE_SECURE": "false",
        ]
    }

    /// Starts `handoff serve` on the directory's database; returns it, its log and its port.
    static func startDaemon(_ directory: TemporaryDirectory, arguments: [String] = []) async throws -> (
        Process, DaemonLog, Int
    ) {
        let process = Process()
        process.executableURL = Daemon.binary
        process.arguments = ["serve"] + arguments
        process.environment = environment(directory)
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = DaemonLog(stderr.fileHandleForReading)
        let line: String
        do {
            line = try await log.waitFor("msg=listening")
        } catch {
            stop(process)
            throw error
        }
        guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
            let port = address.split(separator: ":").last.flatMap({ Int($0) })
        else { throw RawHTTPClientError(message: "no port in \(line)") }
        return (process, log, port)
    }

    /// Kills a daemon a failed test left running (a test that got as far as SIGTERM has no effect here).
    static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs one `handoff` command on the directory's database and collects its output.
    static func run(
        _ directory: TemporaryDirectory, _ arguments: [String], environment extra: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, error: String) {
        try await offPool {
            let process = Process()
            process.executableURL = Daemon.binary
            process.arguments = arguments
            process.environment = environment(directory).merging(extra) { $1 }
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (
                process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)
            )
        }
    }
}

/// The daemon's standard error, read on its own thread; tests wait for a line to appear.
final class DaemonLog: Sendable {
    private let text = Mutex("")
    private let closed = Atomic<Bool>(false)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            closed.store(true, ordering: .relaxed)
        }
    }

    /// The first line containing `fragment`, waiting up to 20 s for it.
    @discardableResult
    func waitFor(_ fragment: String) async throws -> String {
        for _ in 0..<2000 {
            let snapshot = text.withLock { $0 }
            if let line = snapshot.split(separator: "\n").first(where: { $0.contains(fragment) }) {
                return String(line)
            }
            if closed.load(ordering: .relaxed) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RawHTTPClientError(message: "no log line with \(fragment) in: \(text.withLock { $0 })")
    }
}
