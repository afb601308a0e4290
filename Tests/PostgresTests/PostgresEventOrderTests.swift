import DatabaseDriver
import Dispatch
import Foundation
import Postgres
import Storage
import Synchronization
import TestSupport
import Testing

/// The event log as live streams read it on PostgreSQL (migration 0016): a reader that moves its
/// cursor past an event never finds later an event with a smaller id, however the writers'
/// commits interleave.
@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresEventOrderTests {
    static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("migrations/postgres").path

    /// A migrated scratch database with one conversation, `c`.
    static func withEventLog<T: Sendable>(
        poolSize: Int = 4, _ body: (PostgresDatabase) async throws -> T
    ) async throws -> T {
        try await ScratchDatabase.with { scratch in
            let pool = PostgresPool(uri: scratch.uri, size: poolSize)
            let database = PostgresDatabase(pool: pool)
            let result = await Result {
                let migrator = try Migrator(directory: migrations)
                try await database.withWriter { try migrator.migrate($0) }
                try await database.write { connection in
                    try connection.execute("INSERT INTO contacts (id, created_at) VALUES ('k', 1)", [])
                    try connection.execute(
                        "INSERT INTO conversations (id, contact_id, state, created_at, updated_at) VALUES ('c', 'k', 'open', 1, 1)",
                        [])
                }
                return try await body(database)
            }
            await pool.close()
            return try result.get()
        }
    }

    static func append(_ connection: any Connection) throws -> Int64 {
        try ChatRepository(connection).appendEvent(conversationID: "c", type: "message", payload: "{}", now: 1).seq
    }

    static func settled(_ database: PostgresDatabase, after seq: Int64) async throws -> (
        events: [Int64], unsettled: Bool
    ) {
        try await database.read { connection in
            let chat = ChatRepository(connection)
            let events = try chat.events(conversationID: "c", afterSeq: seq, limit: 1_000).map(\.seq)
            return (events, try chat.hasUnsettledEvents(conversationID: "c", afterSeq: events.last ?? seq))
        }
    }

    @Test func aReaderWaitsForAnOlderTransactionThatCommitsLast() async throws {
        try await Self.withEventLog { database in
            let (slowBegan, otherCommitted, slowAppended, slowMayCommit) = (Gate(), Gate(), Gate(), Gate())
            // The slow writer takes its transaction id first and appends its event only after a
            // later transaction appended and committed its own.
            let slow = Task {
                try await database.write { connection in
                    _ = try connection.query("SELECT pg_current_xact_id()::text AS id")
                    slowBegan.open()
                    otherCommitted.block()
                    let seq = try Self.append(connection)
                    slowAppended.open()
                    slowMayCommit.block()
                    return seq
                }
            }
            await slowBegan.wait()
            let fast = try await database.write { try Self.append($0) }
            otherCommitted.open()
            await slowAppended.wait()

            let whileOpen = try await Self.settled(database, after: 0)
            #expect(whileOpen.events.isEmpty, "the committed event must wait for the older open transaction")
            #expect(whileOpen.unsettled)

            slowMayCommit.open()
            let slowSeq = try await slow.value
            #expect(slowSeq < fast)
            let afterCommit = try await Self.settled(database, after: 0)
            #expect(afterCommit.events == [slowSeq, fast])
            #expect(!afterCommit.unsettled)
            #expect(try await database.read { try ChatRepository($0).lastEventSeq(conversationID: nil) } == fast)
        }
    }

    @Test func aPollingReaderSeesEveryEventOfConcurrentSlowWritersOnceInOrder() async throws {
        try await Self.withEventLog(poolSize: 8) { database in
            let writers = 6
            let transactionsPerWriter = 20
            let done = Gate()
            let reader = Task {
                var received: [Int64] = []
                var finished = false
                while true {
                    let batch = try await Self.settled(database, after: received.last ?? 0)
                    received += batch.events
                    if finished && !batch.unsettled && batch.events.isEmpty { return received }
                    finished = done.isOpen
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            let written = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var seqs: [Int64] = []
                        for transaction in 0..<transactionsPerWriter {
                            // Some take their id, then sleep before appending; some sleep before committing.
                            let pause = Double((writer * 7 + transaction * 3) % 5) * 0.004
                            let committed = try await database.write { connection in
                                _ = try connection.query("SELECT pg_current_xact_id()::text AS id")
                                Thread.sleep(forTimeInterval: transaction % 2 == 0 ? pause : 0)
                                let appended = try (0...(transaction % 3)).map { _ in try Self.append(connection) }
                                Thread.sleep(forTimeInterval: transaction % 2 == 1 ? pause : 0)
                                return appended
                            }
                            seqs += committed
                        }
                        return seqs
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            done.open()
            let received = try await reader.value
            #expect(received == written.sorted())
        }
    }

    @Test func aTransactionCanAppendManyEventsAndTheirIdsFollowTheirOrder() async throws {
        try await Self.withEventLog { database in
            let seqs = try await database.write { connection in try (0..<300).map { _ in try Self.append(connection) } }
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
            #expect(seqs.last! - seqs.first! == 299)
            let again = try await database.write { try Self.append($0) }
            #expect(again > seqs.last!)
        }
    }
}

/// A one-way gate between a test's tasks and a database body blocked on the driver's queue.
private final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Mutex(false)

    var isOpen: Bool { opened.withLock { $0 } }

    func open() {
        opened.withLock { $0 = true }
        semaphore.signal()
    }

    /// Blocks the calling thread (a driver's queue, never Swift's pool) until the gate opens.
    func block() {
        semaphore.wait()
        semaphore.signal()
    }

    /// Waits, off Swift's pool, until the gate opens.
    func wait() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.block()
                continuation.resume()
            }
        }
    }
}
