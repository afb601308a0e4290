import DatabaseDriver
import Logging
import Storage
import TestSupport
import Testing

@testable import HandoffDomain

/// Work that runs once in the cluster: the lease row it runs under, on both backends.
@Suite struct ClusterLeaseTests {
    let clock = TestClock()

    func lease(_ holder: String, _ database: any Database, name: String = "sweep") -> ClusterLease {
        let clock = clock
        return ClusterLease(name: name, holder: holder, duration: .seconds(30), database: database) { clock.now }
    }

    @Test(arguments: Backend.available)
    func oneHolderAtATimeAndAnotherTakesOverOnceItRanOut(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let (a, b) = (lease("node-a", database), lease("node-b", database))
            #expect(try await a.hold())
            #expect(try await !b.hold(), "held by node-a")
            clock.advance(by: 20_000)
            #expect(try await a.hold(), "renewed: less than half was left")
            clock.advance(by: 29_999)
            #expect(try await !b.hold(), "the renewal holds 30 s from then")
            clock.advance(by: 1)
            #expect(try await b.hold(), "node-a's lease ran out: node-b takes over")
            #expect(try await !a.hold())
            let row = try await database.read { try LeaseRepository($0).holder(of: "sweep") }
            #expect(row?.holder == "node-b" && row?.until == clock.now + 30_000)

            // Given back (node-b stops): node-a need not wait for it to run out.
            try await b.release()
            #expect(try await a.hold())
            #expect(try await lease("node-b", database, name: "another").hold(), "each name its own lease")
        }
    }

    @Test(arguments: Backend.available)
    func ofNodesTryingAtOnceOneWins(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let leases = (0..<8).map { lease("node-\($0)", database) }
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for lease in leases { group.addTask { try await lease.hold() } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test(arguments: Backend.available)
    func theRetentionPurgeRunsOnlyOnTheHolder(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let now = clock.now
            try await database.write { connection in
                for _ in 0..<3 {
                    let id = try OutboxRepository(connection).enqueue(
                        kind: .webhook, payload: "{}", messageID: nil, requestID: nil, now: now)
                    try connection.execute(
                        "UPDATE outbox SET state = 'done', updated_at = 0 WHERE id = ?", [.integer(id)])
                }
            }
            clock.advance(by: 2 * 86_400_000)
            let clock = clock
            func purge(on node: String) -> RetentionPurge {
                RetentionPurge(
                    database: database, days: 1, lease: lease(node, database, name: RetentionPurge.leaseName),
                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })
            }
            #expect(try await lease("node-b", database, name: RetentionPurge.leaseName).hold())
            #expect(try await purge(on: "node-a").purge() == 0, "node-b holds the lease")
            #expect(try await purge(on: "node-b").purge() == 3)
        }
    }
}
