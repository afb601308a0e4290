import DatabaseDriver
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// The funnel roll-up's triggers (migrations/postgres/0027, 0029) take a conversation's row lock
/// before its roll-up row's, as a conversation update does: two writes of one conversation wait
/// for each other in turn instead of deadlocking.
@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct FunnelLockOrderTests {
    /// A write that adds a message, then updates the conversation (as a use case that posts a
    /// system message and then escalates does), against a conversation update that reaches the
    /// roll-up through its trigger, started while the first holds what its insert locked. With the
    /// roll-up row locked first, the second held the conversation row and waited for the roll-up
    /// row while the first waited for the conversation row: the server refused one (40P01) after
    /// its deadlock check. Now the second waits for the first, then runs again (40001): both are
    /// stored, and no deadlock is reported.
    @Test func aMessageAndAConversationUpdateOfOneConversationDoNotDeadlock() async throws {
        let conflicts = Mutex<[PostgresWriteConflict]>([])
        try await ScratchDatabase.with { scratch in
            try await scratch.connection.withSession { session in
                for file in try PostgresSchemaTests.files() {
                    try session.transaction { try $0.executeScript(file.sql) }
                }
            }
            try await scratch.connection.execute("INSERT INTO contacts (id, created_at) VALUES ('k', 1)")
            try await scratch.connection.execute(
                "INSERT INTO conversations (id, contact_id, state, created_at, updated_at) VALUES ('c', 'k', 'open', 1, 1)"
            )
            let pool = PostgresPool(uri: scratch.uri, size: 2)
            let database = PostgresDatabase(
                pool: pool, conflicts: { conflict in conflicts.withLock { $0.append(conflict) } })
            let inserted = DispatchSemaphore(value: 0)
            let (messageRuns, updateRuns) = (FirstRun(), FirstRun())
            let result = await Result(catching: {
                let message = Task {
                    try await database.write { connection in
                        try connection.execute(
                            """
                            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at, updated_at)
                            VALUES ('m', 'c', 'outbound', 'web', 'system', 'escalating', 'sent', 2, 2)
                            """, [])
                        if messageRuns.isFirst() {
                            inserted.signal()
                            // Until the update below waits for a lock this write holds.
                            let deadline = Date().addingTimeInterval(10)
                            while Date() < deadline {
                                let waiting = try connection.queryOne(
                                    """
                                    SELECT count(*) AS n FROM pg_stat_activity
                                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                                    """)!.get("n", as: Int.self)
                                if waiting > 0 { break }
                                Thread.sleep(forTimeInterval: 0.01)
                            }
                        }
                        try connection.execute(
                            "UPDATE conversations SET updated_at = updated_at + 1 WHERE id = 'c'", [])
                    }
                }
                let update = Task {
                    try await database.write { connection in
                        if updateRuns.isFirst() { inserted.wait() }
                        try connection.execute(
                            "UPDATE conversations SET state = 'escalated', escalation_reason = 'asked' WHERE id = 'c'",
                            [])
                    }
                }
                try await message.value
                try await update.value
            })
            let stored = await Result(catching: {
                try await database.read { connection in
                    try connection.queryOne(
                        """
                        SELECT (SELECT count(*) FROM messages WHERE id = 'm') AS messages, c.updated_at, f.escalated
                        FROM conversations c JOIN funnel_conversations f ON f.conversation_id = c.id WHERE c.id = 'c'
                        """)!
                }
            })
            await pool.close()
            try result.get()
            let row = try stored.get()
            #expect(try row.get("messages", as: Int.self) == 1)
            #expect(try row.get("updated_at", as: Int64.self) == 2)
            #expect(try row.get("escalated", as: Int.self) == 1)
        }
        let reported = conflicts.withLock { $0 }.map { $0.error.sqlState ?? "" }
        #expect(!reported.contains("40P01"), "\(reported)")
    }
}

/// Counts the runs of a write's body: only its first run waits for the other write (a body run
/// again after a conflict must not wait for what already happened).
private final class FirstRun: Sendable {
    private let runs = Atomic<Int>(0)

    func isFirst() -> Bool { runs.add(1, ordering: .relaxed).oldValue == 0 }
}
