import DatabaseDriver
import Foundation
import HandoffCore
import Lifecycle
import Logging
import Storage
import Synchronization
import TestSupport
import Testing

@testable import HandoffDomain

/// Two nodes dispatching from one database (PostgreSQL, and SQLite for the same SQL): claims with
/// leases, takeover once a lease ran out, renewal while a send is in flight, texts to one phone in
/// order whichever node sends them.
@Suite struct OutboxLeaseTests {
    /// What the nodes' handlers saw: every attempt, and whether two of one lane were ever in flight at once.
    final class Deliveries: Sendable {
        struct Attempt: Sendable {
            let node: String
            let id: Int64
            let lane: String?
        }

        let attempts = Mutex<[Attempt]>([])
        private let inFlight = Mutex<[String: Int]>([:])
        let overlaps = Atomic<Int>(0)

        func begin(_ attempt: Attempt) {
            attempts.withLock { $0.append(attempt) }
            guard let lane = attempt.lane else { return }
            let before = inFlight.withLock { lanes in
                defer { lanes[lane, default: 0] += 1 }
                return lanes[lane, default: 0]
            }
            if before > 0 { overlaps.add(1, ordering: .relaxed) }
        }

        func end(_ attempt: Attempt) {
            guard let lane = attempt.lane else { return }
            inFlight.withLock { $0[lane, default: 0] -= 1 }
        }

        var all: [Attempt] { attempts.withLock { $0 } }
    }

    /// Delivers after a short pause, recording the attempt; or, `stalled`, not until released.
    final class NodeHandler: OutboxDispatcher.Handler {
        let node: String
        let deliveries: Deliveries
        let stalled: WakeSignal?

        init(node: String, deliveries: Deliveries, stalled: WakeSignal? = nil) {
            self.node = node
            self.deliveries = deliveries
            self.stalled = stalled
        }

        func deliver(_ item: inout OutboxItem) async -> OutboxDispatcher.Outcome {
            let attempt = Deliveries.Attempt(node: node, id: item.id, lane: item.lane)
            deliveries.begin(attempt)
            if let stalled {
                await stalled.wait(timeout: .seconds(60))
            } else {
                try? await Task.sleep(for: .microseconds(Int.random(in: 0...3_000)))
            }
            deliveries.end(attempt)
            return .delivered
        }
    }

    let clock = TestClock()

    func node(
        _ name: String, _ database: any Database, _ handler: NodeHandler, kind: OutboxKind = .webhook,
        renewal: Duration = .seconds(10)
    ) -> OutboxDispatcher {
        let clock = clock
        return OutboxDispatcher(
            database: database, handlers: [kind: handler], maxAttempts: 5,
            leasing: OutboxDispatcher.Leasing(node: name, sharesDatabase: true, renewal: renewal),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })
    }

    func enqueue(_ database: any Database, kind: OutboxKind = .webhook, lanes: [String?]) async throws -> [Int64] {
        let now = clock.now
        return try await database.write { connection in
            try lanes.map { lane in
                try OutboxRepository(connection).enqueue(
                    kind: kind, payload: "{}", messageID: nil, lane: lane, requestID: nil, now: now)
            }
        }
    }

    func rows(_ database: any Database) async throws -> [OutboxItem] {
        try await database.read { try OutboxRepository($0).list(state: nil, kind: nil, afterID: 0, limit: 10_000) }
    }

    @Test(arguments: Backend.available)
    func twoNodesClaimDisjointRows(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let deliveries = Deliveries()
            let ids = try await enqueue(database, lanes: Array(repeating: nil, count: 200))
            let nodes = ["node-a", "node-b"].map { node($0, database, NodeHandler(node: $0, deliveries: deliveries)) }
            let running = try await ServiceGroup(nodes).runInBackground()
            for node in nodes { node.wake() }
            #expect(try await eventually(seconds: 60) { try await rows(database).allSatisfy { $0.state == .done } })
            try await running.stop()
            let attempted = deliveries.all
            #expect(attempted.map(\.id).sorted() == ids, "every row attempted once, by one node")
            let stored = try await rows(database)
            #expect(stored.allSatisfy { $0.attempts == 1 })
            for node in ["node-a", "node-b"] {
                let claimed = Set(stored.filter { $0.claimedBy == node }.map(\.id))
                #expect(claimed == Set(attempted.filter { $0.node == node }.map(\.id)), "the rows \(node) claimed")
            }
            print("\(backend): node-a sent \(attempted.filter { $0.node == "node-a" }.count) of \(ids.count)")
        }
    }

    @Test(arguments: Backend.available)
    func textsToOnePhoneLeaveInOrderWhicheverNodeSendsThem(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let deliveries = Deliveries()
            let phones = (1...4).map { "+1415555010\($0)" }
            // Written in turns: each phone's rows interleave with the others'.
            let ids = try await enqueue(
                database, kind: .sms, lanes: (0..<60).map { phones[$0 % phones.count] })
            let nodes = ["node-a", "node-b"].map {
                node($0, database, NodeHandler(node: $0, deliveries: deliveries), kind: .sms)
            }
            let running = try await ServiceGroup(nodes).runInBackground()
            for node in nodes { node.wake() }
            #expect(try await eventually(seconds: 60) { try await rows(database).allSatisfy { $0.state == .done } })
            try await running.stop()
            let attempted = deliveries.all
            #expect(attempted.map(\.id).sorted() == ids, "every text once")
            for phone in phones {
                let sent = attempted.filter { $0.lane == phone }.map(\.id)
                #expect(sent == sent.sorted() && sent.count == 15, "\(phone)'s texts in the order written")
            }
            #expect(deliveries.overlaps.load(ordering: .relaxed) == 0, "one text in flight per phone")
            print("\(backend): node-a sent \(attempted.filter { $0.node == "node-a" }.count) of \(ids.count) texts")
        }
    }

    @Test(arguments: Backend.available)
    func aDeadNodesRowIsTakenOverOnceItsLeaseRunsOutAndNotBefore(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let deliveries = Deliveries()
            let hung = WakeSignal()
            // Node A claims the row, then hangs mid-send and never renews (as good as dead).
            let nodeA = node(
                "node-a", database, NodeHandler(node: "node-a", deliveries: deliveries, stalled: hung),
                renewal: .seconds(3600))
            let runningA = try await ServiceGroup([nodeA]).runInBackground()
            let id = try #require(try await enqueue(database, lanes: [nil]).first)
            nodeA.wake()
            #expect(try await eventually { deliveries.all.count == 1 })
            let claimed = try #require(try await rows(database).first)
            #expect(claimed.state == .sending && claimed.claimedBy == "node-a")
            #expect(claimed.leaseUntil == clock.now + 30_000)

            // Node B starts (taking back only its own rows) and finds the row held.
            let nodeB = node("node-b", database, NodeHandler(node: "node-b", deliveries: deliveries))
            let runningB = try await ServiceGroup([nodeB]).runInBackground()
            clock.advance(by: 29_999)
            nodeB.wake()
            let stolen = try await database.write {
                try OutboxRepository($0).claim(id: id, node: "node-c", leaseUntil: 0, now: clock.now)
            }
            #expect(!stolen, "a live lease holds")
            try await Task.sleep(for: .milliseconds(200))
            #expect(deliveries.all.map(\.node) == ["node-a"], "not before the lease ran out")

            clock.advance(by: 1)
            nodeB.wake()
            #expect(try await eventually { try await rows(database).first?.state == .done })
            let taken = try #require(try await rows(database).first)
            #expect(taken.claimedBy == "node-b" && taken.attempts == 2)
            #expect(deliveries.all.map(\.node) == ["node-a", "node-b"])

            // Node A comes back to life: its claim no longer holds, so it settles nothing.
            hung.signal()
            try await runningA.stop()
            try await runningB.stop()
            let after = try #require(try await rows(database).first)
            #expect(after.state == .done && after.claimedBy == "node-b" && after.attempts == 2)
        }
    }

    @Test(arguments: Backend.available)
    func renewalKeepsALongSendFromBeingTakenOver(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let deliveries = Deliveries()
            let slow = WakeSignal()
            let nodeA = node(
                "node-a", database, NodeHandler(node: "node-a", deliveries: deliveries, stalled: slow),
                renewal: .milliseconds(50))
            let runningA = try await ServiceGroup([nodeA]).runInBackground()
            let id = try #require(try await enqueue(database, lanes: [nil]).first)
            nodeA.wake()
            #expect(try await eventually { deliveries.all.count == 1 })
            let nodeB = node("node-b", database, NodeHandler(node: "node-b", deliveries: deliveries))
            let runningB = try await ServiceGroup([nodeB]).runInBackground()
            let claimedAt = clock.now
            // Three lease lengths pass while the send is in flight; each time, a renewal follows.
            for _ in 0..<3 {
                clock.advance(by: 25_000)
                #expect(
                    try await eventually {
                        try await rows(database).first.flatMap(\.leaseUntil).map { $0 >= clock.now + 29_000 } ?? false
                    }, "renewed")
                nodeB.wake()
            }
            #expect(clock.now - claimedAt > 30_000 * 2)
            let stolen = try await database.write {
                try OutboxRepository($0).claim(id: id, node: "node-c", leaseUntil: 0, now: clock.now)
            }
            #expect(!stolen)
            try await Task.sleep(for: .milliseconds(200))
            #expect(deliveries.all.map(\.node) == ["node-a"], "no other node took it over")
            slow.signal()
            #expect(try await eventually { try await rows(database).first?.state == .done })
            try await runningA.stop()
            try await runningB.stop()
            let row = try #require(try await rows(database).first)
            #expect(row.claimedBy == "node-a" && row.attempts == 1)
        }
    }

    @Test(arguments: Backend.available)
    func aRestartedNodeTakesBackItsOwnRowsAndLeavesOthersToTheirLeases(_ backend: Backend) async throws {
        try await backend.withDatabase { database in
            let ids = try await enqueue(database, lanes: [nil, nil])
            let now = clock.now
            let claimed = try await database.write { connection in
                try zip(ids, ["node-a", "node-b"]).map { id, node in
                    try OutboxRepository(connection).claim(id: id, node: node, leaseUntil: now + 30_000, now: now)
                }
            }
            #expect(claimed == [true, true])
            // node-a restarts (killed mid-send) while node-b is sending.
            let deliveries = Deliveries()
            let restarted = node("node-a", database, NodeHandler(node: "node-a", deliveries: deliveries))
            let running = try await ServiceGroup([restarted]).runInBackground()
            restarted.wake()
            #expect(try await eventually { try await rows(database).first?.state == .done })
            try await Task.sleep(for: .milliseconds(100))
            try await running.stop()
            let (mine, theirs) = try await (rows(database)[0], rows(database)[1])
            #expect(mine.claimedBy == "node-a" && mine.attempts == 2)
            #expect(mine.nextAttemptAt == now, "taken back in its place in the queue")
            #expect(theirs.state == .sending && theirs.claimedBy == "node-b" && theirs.attempts == 1)
            #expect(deliveries.all.map(\.id) == [ids[0]])
        }
    }
}
