import Foundation
import TestSupport

/// The `handoff` binary, for the suites that run it as operators do.
enum Daemon {
    /// The debug build of the binary (`swift build` makes it).
    static let binary = TestApplication.repositoryRoot.appendingPathComponent(".build/debug/handoff")

    /// `handoff serve` on `port` with the database in `directory` (or `database`, a PostgreSQL URI,
    /// as node `nodeID`), the Twilio gateway at `twilio`.
    private static func daemonOnTwilio(
        port: Int, twilio: Int, directory: TemporaryDirectory, database: String?, nodeID: String?
    ) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve"]
        var environment = [
            "HANDOFF_LISTEN": "127.0.0.1:\(port)", "HANDOFF_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "HANDOFF_DATABASE": database ?? directory.file("handoff.sqlite").path,
            "HANDOFF_MIGRATIONS": TestApplication.repositoryRoot.appendingPathComponent("migrations").path,
            "HANDOFF_GATEWAY": "twilio", "HANDOFF_TWILIO_ACCOUNT_SID": "AC" + String(repeating: "1", count: 32),
            "HANDOFF_TWILIO_AUTH_TOKEN": "crash-test-token", "HANDOFF_TWILIO_FROM": "+15005550006",
            "HANDOFF_TWILIO_API_BASE": "http://127.0.0.1:\(twilio)", "HANDOFF_API_KEYS": TestApplication.apiKey,
            "HANDOFF_COOKIE_SECURE": "false", "HANDOFF_LOG_LEVEL": "warning", "HANDOFF_SMS_MAX_IN_FLIGHT": "4",
            "HANDOFF_QUIET_HOURS": "00:00-24:00",
        ]
        if let nodeID { environment["HANDOFF_NODE_ID"] = nodeID }
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Starts the daemon on a free port, sending through a Twilio stand-in on loopback port `twilio`,
    /// and waits until it is ready; another test may take the port between the probe and the bind,
    /// so a daemon that exits at once is tried again.
    static func startOnTwilio(
        twilio: Int, directory: TemporaryDirectory, database: String? = nil, nodeID: String? = nil
    ) async throws -> (Process, HTTPTestClient) {
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let process = try daemonOnTwilio(
                port: port, twilio: twilio, directory: directory, database: database, nodeID: nodeID)
            let client = HTTPTestClient(port: port)
            for _ in 0..<400 where process.isRunning {
                if (try? await client.request("GET", "/readyz"))?.status == 200 { return (process, client) }
                try await Task.sleep(for: .milliseconds(25))
            }
            process.terminate()
        }
        throw RawHTTPClientError(message: "the daemon did not start")
    }
}
