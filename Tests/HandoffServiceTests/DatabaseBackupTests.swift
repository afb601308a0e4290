import Foundation
import HandoffService
import Logging
import Storage
import Synchronization
import TestSupport
import Testing

/// `handoff backup` while the service is writing: a consistent copy with everything acknowledged before it.
@Suite struct DatabaseBackupTests {
    @Test func backsUpWhileServingAndTheCopyRestores() async throws {
        let home = try TemporaryDirectory()
        var configuration = HandoffApplicationTests.configuration(in: home)
        configuration.cookieSecure = false
        let application = try await HandoffApplication(
            configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await application.start()
        defer { Task { await application.shutdown() } }
        let client = HTTPTestClient(port: application.port)
        do {
            let (cookie, _) = try await ChatAPITests.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            var acknowledged: [String] = []
            for index in 0..<40 {
                let response = try await client.request(
                    "POST", "/v1/messages", headers: headers, body: #"{"body":"before backup \#(index)"}"#)
                if response.status == 201 { acknowledged.append("before backup \(index)") }
            }
            let stop = Atomic<Bool>(false)
            let load = Task {
                var index = 0
                while !stop.load(ordering: .relaxed) {
                    _ = try? await client.request(
                        "POST", "/v1/messages", headers: headers, body: #"{"body":"during backup \#(index)"}"#)
                    index += 1
                }
            }
            let directory = try TemporaryDirectory()
            let file = directory.file("backup.sqlite").path
            let settings = configuration
            try await offPool { try DatabaseBackup.run(settings, to: file) }
            stop.store(true, ordering: .relaxed)
            await load.value

            let restored = try Connection(path: file)
            #expect(try restored.queryOne("PRAGMA integrity_check")?.string("integrity_check") == "ok")
            let bodies = Set(try restored.query("SELECT body FROM messages").compactMap { $0.string("body") })
            #expect(acknowledged.allSatisfy { bodies.contains($0) }, "everything acknowledged before the backup")
            #expect(throws: (any Error).self, "never overwrites a file") {
                try DatabaseBackup.run(configuration, to: file)
            }
        }
    }
}
