import Foundation
import TestSupport
import Testing

/// The `handoff` binary as operators run it: `serve` until SIGTERM, then exit 0.
@Suite struct DaemonProcessTests {
    static let binary = HandoffApplicationTests.repositoryRoot.appendingPathComponent(".build/debug/handoff")

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path), "needs `swift build` first"))
    func servesAndDrainsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve"]
        process.environment = [
            "HANDOFF_LISTEN": "127.0.0.1:0",
            "HANDOFF_DATABASE": directory.file("db/handoff.sqlite").path,
            "HANDOFF_MIGRATIONS": HandoffApplicationTests.repositoryRoot.appendingPathComponent("migrations").path,
        ]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let port = try await Self.listeningPort(from: stderr.fileHandleForReading)
        let health = try await HTTPTestClient(port: port).request("GET", "/readyz")
        #expect(health.status == 200)
        kill(process.processIdentifier, SIGTERM)
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// Reads log lines until `msg=listening address=host:port` and returns the port.
    static func listeningPort(from handle: FileHandle) async throws -> Int {
        try await offPool {
            var text = ""
            while true {
                let data = handle.availableData
                guard !data.isEmpty else { throw RawHTTPClientError(message: "daemon exited: \(text)") }
                text += String(decoding: data, as: UTF8.self)
                if let line = text.split(separator: "\n").first(where: { $0.contains("msg=listening") }),
                    let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                    let port = address.split(separator: ":").last.flatMap({ Int($0) })
                {
                    return port
                }
            }
        }
    }
}
