import Foundation
import HTTPServer
import HTTPValues
import Synchronization
import TestSupport
import Testing

/// `kill -9` in the middle of sending: every acknowledged reply is texted after the restart, none
/// more than twice. The daemon talks to a Twilio stand-in that lives in the test process, so what
/// reached "the gateway" survives the kill.
@Suite struct CrashSafetyTests {
    /// Replies queued before the kill: 100 in `make test`, 1,000 in `make test-faults`
    /// (HANDOFF_FAULT_OUTBOUND).
    static let queued = Int(ProcessInfo.processInfo.environment["HANDOFF_FAULT_OUTBOUND"] ?? "") ?? 100

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs swift build"))
    func killDashNineLosesNoAcknowledgedText() async throws {
        // Slower than replies are queued, even on a loaded machine (the sending kept up with the
        // queueing at 5 ms a text): texts are left to send at the kill. Fast again for the restart.
        let fake = FakeTwilio(latency: .milliseconds(100))
        try fake.server.start()
        defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
        let directory = try TemporaryDirectory()
        let (first, client) = try await Daemon.startOnTwilio(twilio: fake.server.port, directory: directory)
        let acknowledged = try await Self.queueRepliesThenKill(first, client, phone: "+14155550177", fake: fake)
        let sentBeforeRestart = fake.all.filter { $0.hasPrefix("reply ") }.count
        #expect(sentBeforeRestart < acknowledged.count, "the kill interrupted the sending")
        fake.latency.duration.withLock { $0 = .milliseconds(5) }

        let (second, _) = try await Daemon.startOnTwilio(twilio: fake.server.port, directory: directory)
        defer { second.terminate() }
        let counts = try await Self.sentCounts(acknowledged, fake, seconds: 60)
        #expect(counts.allSatisfy { $0 >= 1 }, "every acknowledged reply was texted")
        #expect(counts.allSatisfy { $0 <= 2 }, "none more than twice")
        #expect(Self.isInOrder(fake), "in the order written (a text sent twice, twice in a row)")
        print(
            "crash safety: \(acknowledged.count) acknowledged, \(sentBeforeRestart) sent before kill -9, "
                + "\(counts.filter { $0 == 2 }.count) sent twice")
    }

    /// Two nodes on one PostgreSQL: node A is killed while it sends; node B (another `node_id`)
    /// takes its texts over once A's lease ran out, not before, and sends them in order.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs swift build"),
        .enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func aNodeKilledWhileSendingLeavesItsTextsToAnotherOnceItsLeaseRunsOut() async throws {
        try await ScratchDatabase.with { scratch in
            // Slower than the replies are queued, even on a loaded machine (50 ms was not always):
            // node A has texts left to send when it is killed. Fast again for node B.
            let fake = FakeTwilio(latency: .milliseconds(150))
            try fake.server.start()
            defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
            let directory = try TemporaryDirectory()
            let (nodeA, clientA) = try await Daemon.startOnTwilio(
                twilio: fake.server.port, directory: directory, database: scratch.uri, nodeID: "node-a")
            let acknowledged = try await Self.queueRepliesThenKill(
                nodeA, clientA, phone: "+14155550178", fake: fake, killAfter: 60
            ) {
                // Killed while it holds a text (most likely: it may settle it just before).
                let held = try await scratch.connection.execute(
                    "SELECT count(*) AS n FROM outbox WHERE state = 'sending' AND claimed_by = 'node-a'")
                return try held.rows[0].get(held.column("n"), as: Int.self) > 0
            }
            let held = try await scratch.connection.execute(
                "SELECT count(*) AS n FROM outbox WHERE state = 'sending' AND claimed_by = 'node-a'")
            let heldByA = try held.rows[0].get(held.column("n"), as: Int.self)
            let sentBeforeKill = fake.all.filter { $0.hasPrefix("reply ") }.count
            #expect(sentBeforeKill < acknowledged.count, "the kill interrupted the sending")
            fake.latency.duration.withLock { $0 = .milliseconds(5) }

            let startedB = ContinuousClock.now
            let (nodeB, _) = try await Daemon.startOnTwilio(
                twilio: fake.server.port, directory: directory, database: scratch.uri, nodeID: "node-b")
            defer { nodeB.terminate() }
            if heldByA > 0 {
                // The phone's next text is node A's, held under its lease: node B waits for it.
                try await Task.sleep(for: .seconds(3))
                #expect(
                    fake.all.filter { $0.hasPrefix("reply ") }.count == sentBeforeKill, "not before the lease ran out")
            }
            let counts = try await Self.sentCounts(acknowledged, fake, seconds: 60)
            #expect(counts.allSatisfy { $0 >= 1 }, "every acknowledged reply was texted")
            #expect(counts.allSatisfy { $0 <= 2 }, "none more than twice")
            #expect(Self.isInOrder(fake), "in the order written (a text sent twice, twice in a row)")
            print(
                "two nodes, kill -9: \(acknowledged.count) acknowledged, \(sentBeforeKill) sent before, \(heldByA) held by "
                    + "the killed node, all sent \(ContinuousClock.now - startedB) after node B started, "
                    + "\(counts.filter { $0 == 2 }.count) sent twice")
        }
    }

    /// Verifies `phone` through `client`, then queues agent replies to it and kills `node` with
    /// SIGKILL once `killAfter` were queued (it is sending by then) and `ready` holds (or 2 s
    /// passed); returns the replies acknowledged.
    static func queueRepliesThenKill(
        _ node: Process, _ client: HTTPTestClient, phone: String, fake: FakeTwilio, killAfter: Int = queued,
        when ready: () async throws -> Bool = { true }
    ) async throws -> [String] {
        let conversationID = try await fake.verifiedConversation(on: client, phone: phone)
        let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
        var acknowledged: [String] = []
        for index in 0...killAfter {
            let body = "reply \(index)"
            let response = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"\#(body)","author":"agent"}"#)
            if response.status == 201 { acknowledged.append(body) }
        }
        for _ in 0..<2000 where try await !ready() { try await Task.sleep(for: .milliseconds(1)) }
        kill(node.processIdentifier, SIGKILL)
        try await offPool { node.waitUntilExit() }
        #expect(node.terminationReason == .uncaughtSignal)
        return acknowledged
    }

    /// Whether the replies reached the gateway in the order they were written.
    static func isInOrder(_ fake: FakeTwilio) -> Bool {
        let order = fake.all.compactMap { $0.hasPrefix("reply ") ? Int($0.dropFirst(6)) : nil }
        return order == order.sorted()
    }

    /// How many times each of `acknowledged` reached the gateway, once all did or `seconds` passed.
    static func sentCounts(_ acknowledged: [String], _ fake: FakeTwilio, seconds: Int) async throws -> [Int] {
        for _ in 0..<(seconds * 50) where !acknowledged.allSatisfy({ fake.count($0) >= 1 }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return acknowledged.map { fake.count($0) }
    }
}
