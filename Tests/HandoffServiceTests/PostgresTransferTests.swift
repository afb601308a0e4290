import Foundation
import Postgres
import TestSupport
import Testing

@testable import HandoffService

/// `handoff migrate-to-postgres`: a SQLite database that served real traffic moves into
/// PostgreSQL whole, and the service goes on there where it left off.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresTransferTests {
    @Test func aServedSQLiteDatabaseMovesWholeAndTheServiceGoesOnThere() async throws {
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.file("moving.sqlite").path
        let phone = "+14155550144"
        var visitor: (cookie: String, conversationID: String)?
        try await TestApplication.live({ $0.databasePath = sqlitePath }) { _, client, simulator in
            let active = try await API.activeSession(phone, client, simulator)
            visitor = active
            let sent = try await client.request(
                "POST", "/v1/messages", headers: API.json(active.cookie), body: #"{"body":"before the move"}"#)
            #expect(sent.status == 201)
            #expect(try await simulator.reply(from: phone, to: API.sender, body: "by text").status == 200)
        }
        let (cookie, conversationID) = try #require(visitor)

        try await ScratchDatabase.with { scratch in
            var configuration = TestApplication.configuration(in: directory)
            configuration.databasePath = scratch.uri
            let report = try await PostgresTransfer.run(configuration, from: sqlitePath)
            let copied = Dictionary(uniqueKeysWithValues: report.tables.map { ($0.name, $0.rows) })
            #expect(copied["messages"] ?? 0 >= 3 && copied["consents"] ?? 0 >= 1 && copied["sessions"] == 1)
            let tables = report.tables.map(\.name)
            #expect(
                try #require(tables.firstIndex(of: "conversations")) < #require(tables.firstIndex(of: "messages")),
                "parents are copied before the rows that point to them")

            // Event ids written from now on come after the copied ones (migrations/postgres/0016).
            let ids = try await scratch.connection.execute(
                """
                SELECT (SELECT last_value FROM conversation_event_id_base) AS base,
                    (SELECT max(seq) FROM conversation_events) AS copied
                """)
            let (base, lastCopied) = try (ids.column("base"), ids.column("copied"))
            #expect(try ids.rows[0].get(base, as: Int64.self) > ids.rows[0].get(lastCopied, as: Int64.self))

            // Into a database that holds data: refused, and nothing added.
            let messagesBefore = try await Self.count("messages", scratch)
            await #expect(throws: HandoffServiceError.self) {
                try await PostgresTransfer.run(configuration, from: sqlitePath)
            }
            #expect(try await Self.count("messages", scratch) == messagesBefore)

            // The same visitor, the same thread, on PostgreSQL; new rows take new ids.
            try await TestApplication.live({ $0.databasePath = scratch.uri }) { _, client, _ in
                let after = try await client.request(
                    "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"after the move"}"#)
                #expect(after.status == 201)
                #expect((after.json?["message"] as? [String: Any])?["conversation_id"] as? String == conversationID)
                let bodies = try await API.history(cookie, client).compactMap { $0["body"] as? String }
                #expect(bodies.contains("before the move") && bodies.contains("by text"))
                #expect(bodies.last == "after the move")
            }
        }
    }

    @Test func refusesASQLiteTargetAndAMissingSource() async throws {
        let directory = try TemporaryDirectory()
        let configuration = TestApplication.configuration(in: directory)
        await #expect(throws: HandoffServiceError.self) {
            try await PostgresTransfer.run(configuration, from: directory.file("none.sqlite").path)
        }
    }

    private static func count(_ table: String, _ scratch: ScratchDatabase) async throws -> Int64 {
        let result = try await scratch.connection.execute("SELECT COUNT(*) AS n FROM \(table)")
        return try result.rows[0].get(result.column("n"))
    }
}
