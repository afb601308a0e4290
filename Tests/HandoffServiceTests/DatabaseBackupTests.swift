import DatabaseDriver
import Foundation
import HandoffService
import Logging
import SQLite
import Storage
import Synchronization
import TestSupport
import Testing

/// `handoff backup` while the service is writing: a consistent copy with everything acknowledged
/// before it; `handoff restore` puts it back in place.
@Suite(Backend.sqliteOnly("`handoff backup` and `restore` copy the SQLite file; PostgreSQL uses pg_dump"))
struct DatabaseBackupTests {
    @Test func backsUpWhileServingAndTheCopyRestores() async throws {
        let home = try TemporaryDirectory()
        var configuration = TestApplication.configuration(in: home)
        configuration.cookieSecure = false
        let application = HandoffApplication(
            configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await application.start()
        let client = HTTPTestClient(port: application.port)
        do {
            let (cookie, _) = try await API.startSession(client)
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

            let restored = try SQLiteConnection(path: file)
            #expect(try restored.queryOne("PRAGMA integrity_check")?.get("integrity_check", as: String.self) == "ok")
            let bodies = Set(
                try restored.query("SELECT body FROM messages").map { try $0.get("body", as: String.self) })
            #expect(acknowledged.allSatisfy { bodies.contains($0) }, "everything acknowledged before the backup")
            #expect(throws: (any Error).self, "never overwrites a file") {
                try DatabaseBackup.run(configuration, to: file)
            }

            // Restore: the daemon stops, the backup replaces the database, the daemon starts again.
            await application.shutdown()
            let garbage = directory.file("not-a-database.sqlite").path
            try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: garbage))
            #expect(throws: (any Error).self, "a file that is not a sound database is refused") {
                try DatabaseBackup.restore(configuration, from: garbage)
            }
            let aside = try #require(try DatabaseBackup.restore(configuration, from: file))
            #expect(FileManager.default.fileExists(atPath: aside), "the replaced database is kept")
            let restarted = HandoffApplication(
                configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            try await restarted.start()
            let history = try await HTTPTestClient(port: restarted.port).request(
                "GET", "/v1/messages?limit=200", headers: [("Cookie", cookie)])
            let shown = Set(
                (history.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? [])
            #expect(acknowledged.allSatisfy { shown.contains($0) }, "every message acknowledged before the backup")
            await restarted.shutdown()
        }
    }
}
