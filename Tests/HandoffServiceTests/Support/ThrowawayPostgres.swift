import Foundation
import TestSupport

/// A PostgreSQL server of a test's own (`.ci/postgres.sh` in a temporary folder), for a test that
/// takes the server itself down and up again, which the shared test server must not be.
struct ThrowawayPostgres: Sendable {
    let directory: String
    /// Its database, as a connection URI.
    let uri: String

    /// Runs `body` with a new server, then stops it and removes its data whatever `body` did.
    static func with<T: Sendable>(_ body: (ThrowawayPostgres) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("handoff-postgres-\(UUID().uuidString.prefix(8))").path
        let started = await Result { try await script("start", directory) }
        let result = await Result {
            let export = try started.get()
            guard
                let uri = export.split(separator: "=", maxSplits: 1).last?.trimmingCharacters(
                    in: .whitespacesAndNewlines)
            else { throw RawHTTPClientError(message: "postgres.sh printed no URI: \(export)") }
            return try await body(ThrowawayPostgres(directory: directory, uri: uri))
        }
        _ = try await script("stop", directory)
        return try result.get()
    }

    /// Stops the server at once, as a crash would (its data kept).
    func down() async throws { _ = try await Self.script("down", directory) }

    /// Starts it again on the same port; returns once it accepts connections.
    func up() async throws { _ = try await Self.script("up", directory) }

    /// Runs `.ci/postgres.sh COMMAND DIRECTORY`; returns what it printed. Its output goes through
    /// a file, not a pipe: the server it starts would inherit the pipe and keep it open.
    private static func script(_ command: String, _ directory: String) async throws -> String {
        try await offPool {
            let scratch = try TemporaryDirectory()
            let output = scratch.file("postgres.sh.out")
            try Data().write(to: output)
            let process = Process()
            process.executableURL = TestApplication.repositoryRoot.appendingPathComponent(".ci/postgres.sh")
            process.arguments = [command, directory]
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw RawHTTPClientError(message: ".ci/postgres.sh \(command) failed (\(process.terminationStatus))")
            }
            return try String(contentsOf: output, encoding: .utf8)
        }
    }
}
