import DatabaseDriver
import Foundation
import Logging
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Running for years: the retention purge, reloading settings while serving, one process per
/// database, and restoring a backup.
@Suite struct OperationsTests {
    static let day: Int64 = 86_400_000

    @Test func retentionPurgesOldBodiesAndKeepsConsentsAndSuppressions() async throws {
        try await TestApplication.live({ $0.messageRetentionDays = 30 }) { application, client, simulator in
            let phone = "+14155550171"
            let (cookie, conversation) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "my card is 4111")
            _ = try await simulator.reply(from: phone, to: API.sender, body: "STOP")
            // Everything so far happened 31 days ago; one message is new.
            let age = 31 * Self.day
            try await application.database.write { connection in
                _ = try connection.execute("UPDATE messages SET created_at = created_at - ?", [.integer(age)])
                _ = try connection.execute(
                    "UPDATE conversation_events SET created_at = created_at - ?", [.integer(age)])
                _ = try connection.execute("UPDATE inbound_events SET received_at = received_at - ?", [.integer(age)])
                _ = try connection.execute("UPDATE outbox SET updated_at = updated_at - ?", [.integer(age)])
            }
            let recent = try await client.request(
                "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", "application/json")],
                body: #"{"body":"still here"}"#)
            #expect(recent.status == 201)

            let purge = RetentionPurge(
                database: application.database, days: 30,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            #expect(try await purge.purge() > 0)
            #expect(try await purge.purge() == 0, "nothing left on the second run")

            let (bodies, purged, raw, ledger, suppressed) = try await application.database.read { connection in
                (
                    try connection.query("SELECT body FROM messages ORDER BY seq").map {
                        try $0.get("body", as: String.self)
                    },
                    try connection.queryOne("SELECT count(*) AS n FROM messages WHERE purged_at IS NOT NULL")?.get(
                        "n", as: Int.self),
                    try connection.queryOne("SELECT count(*) AS n FROM inbound_events")?.get("n", as: Int.self),
                    try HandoffRepository(connection).consents(phone: phone).count,
                    try SuppressionRepository(connection).isSuppressed(phone)
                )
            }
            #expect(!bodies.contains { $0.contains("4111") }, "old bodies are gone")
            #expect(bodies.last == "still here", "recent ones stay")
            #expect((purged ?? 0) >= 3)
            #expect(raw == 0, "raw webhooks past retention are gone")
            #expect(ledger == 3, "the consent ledger is proof: kept")
            #expect(suppressed, "the STOP is kept")
            let history = try await client.request(
                "GET", "/v1/conversations/\(conversation)/messages", headers: API.agent)
            let shown = (history.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
            #expect(shown.count == bodies.count, "the history keeps its shape")
        }
    }

    @Test func reloadAppliesTextsLimitsAndKeysAndNamesWhatNeedsARestart() async throws {
        try await TestApplication.inProcess { application, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            let long = #"{"body":"twenty characters ok"}"#
            #expect(try await client.request("POST", "/v1/messages", headers: headers, body: long).status == 201)

            var changed = application.configuration
            changed.maxMessageCharacters = 10
            changed.apiKeys = ["rotated-agent-key-0123456789"]
            changed.listen = ListenAddress(host: "127.0.0.1", port: 1)
            let waiting = application.reload(changed)
            #expect(waiting == ["listen"], "only the address waits for a restart")

            let refused = try await client.request("POST", "/v1/messages", headers: headers, body: long)
            #expect(refused.status == 422, "the new limit applies at once")
            let oldKey = try await client.request("GET", "/v1/conversations", headers: API.agent)
            #expect(oldKey.status == 401, "a removed key stops at once")
            let newKey = try await client.request(
                "GET", "/v1/conversations", headers: [("Authorization", "Bearer rotated-agent-key-0123456789")])
            #expect(newKey.status == 200)
        }
    }

    @Test(Backend.sqliteOnly("the SQLite file's lock and its backup file"))
    func oneProcessPerDatabaseAndNoRestoreUnderARunningDaemon() async throws {
        try await TestApplication.inProcess { application, _, _ in
            let configuration = application.configuration
            let second = HandoffApplication(
                configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            await #expect(throws: StorageError.self) { try await second.start() }
            let directory = try TemporaryDirectory()
            let backup = directory.file("backup.sqlite").path
            try await offPool { try DatabaseBackup.run(configuration, to: backup) }
            #expect(throws: StorageError.self, "the database is in use") {
                try DatabaseBackup.restore(configuration, from: backup)
            }
        }
    }
}
