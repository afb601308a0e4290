import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// Three `handoff serve` processes on one PostgreSQL database, as behind a load balancer: a node
/// killed (`kill -9`) while it dispatches texts, a live stream on one node fed by writes through
/// another, and PostgreSQL itself restarted under load. The Twilio stand-in lives in the test
/// process, so what reached "the gateway" survives any node.
@Suite(
    .enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs swift build"),
    .enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct ThreeNodeTests {
    static let agent = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]

    /// Agents' replies posted in the kill test, spread over six phones.
    static let replies = 1000

    /// What concurrent posters saw: the replies acknowledged (per conversation, in the order
    /// written), those refused or unanswered, and any other answer (which none should get).
    final class Tally: Sendable {
        struct Counts {
            var acknowledged: [Int: [Int]] = [:]
            var refused = 0
            var refusedWithoutRetryAfter = 0
            var unanswered = 0
            var unexpected: [Int: Int] = [:]
        }
        let counts = Mutex(Counts())
        let stopped = Mutex(false)

        func acknowledged(_ writer: Int) -> [Int] { counts.withLock { $0.acknowledged[writer] ?? [] } }
        var totalAcknowledged: Int { counts.withLock { $0.acknowledged.values.map(\.count).reduce(0, +) } }
        var refused: Int { counts.withLock { $0.refused } }
    }

    /// A node's death by `kill -9`, once it happened: when, and how many texts it held in flight.
    final class Death: Sendable {
        let record = Mutex<(at: ContinuousClock.Instant, held: Int)?>(nil)
        /// Set just before the kill, as a load balancer stops sending to a node it drains: from
        /// then on no writer starts a request to it, so each has at most one in flight at the death.
        let takenOut = Mutex(false)
    }

    /// Runs `body` with nodes `node-a`, `node-b` and `node-c` on `database` (started one after
    /// another: the first migrates), texting through `fake`; stops those still running afterwards.
    static func withThreeNodes<T>(
        database: String, fake: FakeTwilio, _ body: ([Process], [HTTPTestClient]) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory()
        var processes: [Process] = []
        var clients: [HTTPTestClient] = []
        defer { for process in processes where process.isRunning { process.terminate() } }
        for name in ["node-a", "node-b", "node-c"] {
            let (process, client) = try await Daemon.startOnTwilio(
                twilio: fake.server.port, directory: directory, database: database, nodeID: name)
            processes.append(process)
            clients.append(client)
        }
        return try await body(processes, clients)
    }

    /// Posts agent reply `index` of `writer` ("w3 reply 17.") to `conversationID` through `node`
    /// and tallies the answer; returns the status (nil when none came).
    @discardableResult
    static func postReply(
        _ index: Int, of writer: Int, to conversationID: String, through node: HTTPTestClient, tally: Tally
    ) async -> Int? {
        let response = try? await node.request(
            "POST", "/v1/conversations/\(conversationID)/messages", headers: agent,
            body: #"{"body":"w\#(writer) reply \#(index).","author":"agent"}"#)
        tally.counts.withLock { counts in
            switch response?.status {
            case 201: counts.acknowledged[writer, default: []].append(index)
            case 503:
                counts.refused += 1
                if response?.header("Retry-After") == nil { counts.refusedWithoutRetryAfter += 1 }
            case nil: counts.unanswered += 1
            case let status?: counts.unexpected[status, default: 0] += 1
            }
        }
        return response?.status
    }

    /// The indexes of `writer`'s replies among `bodies`, in the order they came.
    static func replyIndexes(of writer: Int, in bodies: [String]) -> [Int] {
        let prefix = "w\(writer) reply "
        return bodies.compactMap { $0.hasPrefix(prefix) ? Int($0.dropFirst(prefix.count).dropLast()) : nil }
    }

    /// 1,000 agents' replies to six phones posted over three nodes; node C is killed while it holds
    /// texts it is sending, and the posting goes on through A and B. Every acknowledged reply
    /// reaches its phone, each phone's in the order written, none more than twice; only the texts
    /// node C held at its death (at most one per phone it was sending to) may go twice, once A and
    /// B take them over when C's 30-second leases run out.
    @Test func aNodeKilledWhileDispatchingLosesNoAcknowledgedReply() async throws {
        try await ScratchDatabase.with { scratch in
            // Slower than replies are posted: node C has texts left to send when it is killed.
            let fake = FakeTwilio(latency: .milliseconds(20))
            try fake.server.start()
            defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
            try await Self.withThreeNodes(database: scratch.uri, fake: fake) { processes, nodes in
                let phones = (0..<6).map { "+1415555\(String(format: "%04d", 300 + $0))" }
                var conversations: [String] = []
                for (writer, phone) in phones.enumerated() {
                    conversations.append(try await fake.verifiedConversation(on: nodes[writer % 3], phone: phone))
                }
                let tally = Tally()
                let deathOfC = Death()
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in phones.indices {
                        let conversationID = conversations[writer]
                        group.addTask {
                            for index
                                in 0..<(Self.replies / phones.count + (writer < Self.replies % phones.count ? 1 : 0))
                            {
                                // Round robin over the nodes alive, as a load balancer's health checks would.
                                let alive = deathOfC.takenOut.withLock { $0 } ? Array(nodes[..<2]) : nodes
                                let node = alive[(index + writer) % alive.count]
                                // A 503 (a conflict with other writers that outlasted the retries) stores
                                // nothing: the client sends the reply again.
                                for _ in 0..<5 {
                                    let status = await Self.postReply(
                                        index, of: writer, to: conversationID, through: node, tally: tally)
                                    guard status == 503 else { break }
                                    try await Task.sleep(for: .milliseconds(100))
                                }
                            }
                        }
                    }
                    group.addTask {
                        while tally.totalAcknowledged < Self.replies * 2 / 5 {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        // Killed while it holds a text (most likely: it may settle them all just before).
                        for _ in 0..<400 where try await Self.sending(by: "node-c", scratch) == 0 {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        deathOfC.takenOut.withLock { $0 = true }
                        kill(processes[2].processIdentifier, SIGKILL)
                        try await offPool { processes[2].waitUntilExit() }
                        let held = try await Self.sending(by: "node-c", scratch)
                        deathOfC.record.withLock { $0 = (.now, held) }
                    }
                    try await group.waitForAll()
                }
                let (killedAt, heldByC) = try #require(deathOfC.record.withLock { $0 })
                #expect(processes[2].terminationReason == .uncaughtSignal)
                #expect(processes[..<2].allSatisfy { $0.isRunning })
                let textedBeforeKill = fake.all.count
                let counts = tally.counts.withLock { $0 }
                #expect(counts.unexpected.isEmpty && counts.refusedWithoutRetryAfter == 0, "\(counts.unexpected)")
                #expect(counts.unanswered <= 6, "only requests to node C in flight at its death go unanswered")

                // Every acknowledged reply reaches its phone: those C held once their leases ran out.
                let delivered = try await eventually(seconds: 90) {
                    phones.indices.allSatisfy { writer in
                        Set(Self.replyIndexes(of: writer, in: fake.bodies(to: phones[writer])))
                            .isSuperset(of: tally.acknowledged(writer))
                    }
                }
                #expect(delivered, "every acknowledged reply was texted")
                var sentTwice = 0
                for (writer, phone) in phones.enumerated() {
                    let texted = Self.replyIndexes(of: writer, in: fake.bodies(to: phone))
                    #expect(
                        texted == texted.sorted(), "\(phone): in the order written (a text sent twice, twice in a row)")
                    let times = Dictionary(texted.map { ($0, 1) }, uniquingKeysWith: +)
                    #expect(times.values.allSatisfy { $0 <= 2 }, "\(phone): none more than twice")
                    sentTwice += times.values.filter { $0 == 2 }.count
                }
                #expect(sentTwice <= heldByC, "only what node C was sending at its death goes twice")
                #expect(heldByC <= phones.count, "one text in flight per phone")
                print(
                    "three nodes, kill -9 while dispatching: \(tally.totalAcknowledged) of \(Self.replies) acknowledged "
                        + "(\(counts.unanswered) unanswered: in flight to node C; \(counts.refused) 503s retried), node C killed after "
                        + "\(killedAt - started) holding \(heldByC) texts, \(textedBeforeKill) texted by then; "
                        + "all texted \(ContinuousClock.now - killedAt) after the kill, \(sentTwice) sent twice")
            }
        }
    }

    /// Outbox rows `node` holds in flight (claimed, being sent).
    static func sending(by node: String, _ scratch: ScratchDatabase) async throws -> Int {
        let held = try await scratch.connection.execute(
            "SELECT count(*) AS n FROM outbox WHERE state = 'sending' AND claimed_by = $1", [.text(node)])
        return try held.rows[0].get(held.column("n"), as: Int.self)
    }

    /// An agents' stream on node A shows each of 200 replies written through node B, with node C
    /// serving beside them, within 250 ms at the 99th percentile (POST sent → event on the stream).
    @Test func anAgentsStreamOnOneNodeShowsRepliesThroughAnotherWithin250Milliseconds() async throws {
        try await ScratchDatabase.with { scratch in
            let fake = FakeTwilio()
            try fake.server.start()
            defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
            try await Self.withThreeNodes(database: scratch.uri, fake: fake) { _, nodes in
                let (_, session) = try await API.startSession(nodes[2])
                let conversationID = try #require(session["conversation_id"] as? String)
                let stream = try RawHTTPClient(port: nodes[0].port)
                try stream.send(
                    "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(TestApplication.apiKey)\r\n\r\n"
                )
                _ = await stream.read(until: ": connected")
                let clock = ContinuousClock()
                var latencies: [Duration] = []
                for index in 0..<200 {
                    let body = "w1 reply \(index)."
                    let start = clock.now
                    let reply = try await nodes[1].request(
                        "POST", "/v1/conversations/\(conversationID)/messages", headers: Self.agent,
                        body: #"{"body":"\#(body)","author":"agent"}"#)
                    try #require(reply.status == 201)
                    let shown = await stream.read(until: body)
                    try #require(shown.contains(body), "reply \(index) reached node A's stream")
                    latencies.append(clock.now - start)
                    // Replies land anywhere in the nodes' one-second poll, not in step with it.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...20)))
                }
                latencies.sort()
                let p99 = latencies[latencies.count * 99 / 100 - 1]
                #expect(p99 < .milliseconds(250), "p99 \(p99)")
                print(
                    "agents' stream on node A, replies through node B: p50 \(latencies[99]), p99 \(p99), max \(latencies[199])"
                )
            }
        }
    }

    /// PostgreSQL shut down at once (as a crash) while agents' replies are posted over three nodes,
    /// then started again: while it is down writes are refused with 503 and `Retry-After` and
    /// every node's `/readyz` is 503; once it is back every node is ready again without a restart
    /// of its own, and every acknowledged reply is stored once and, to a verified phone, texted.
    @Test func postgresRestartedUnderLoadLosesNothingAcknowledged() async throws {
        try await ThrowawayPostgres.with { server in
            let fake = FakeTwilio()
            try fake.server.start()
            defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
            try await Self.withThreeNodes(database: server.uri, fake: fake) { processes, nodes in
                let phone = "+14155550400"
                var conversations = [try await fake.verifiedConversation(on: nodes[0], phone: phone)]
                for node in nodes {
                    conversations.append(
                        try #require(try await API.startSession(node).json["conversation_id"] as? String))
                }
                let tally = Tally()
                func ready() async -> [Int?] {
                    var statuses: [Int?] = []
                    for node in nodes { statuses.append(try? await node.request("GET", "/readyz").status) }
                    return statuses
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in conversations.indices {
                        let conversationID = conversations[writer]
                        group.addTask {
                            var index = 0
                            while !tally.stopped.withLock({ $0 }) {
                                let status = await Self.postReply(
                                    index, of: writer, to: conversationID, through: nodes[(index + writer) % 3],
                                    tally: tally)
                                if status != 201 { try await Task.sleep(for: .milliseconds(20)) }
                                index += 1
                            }
                        }
                    }
                    group.addTask {
                        defer { tally.stopped.withLock { $0 = true } }
                        let writing = try await eventually(seconds: 30) { tally.totalAcknowledged >= 100 }
                        try #require(writing, "writes are acknowledged before the restart")
                        try await server.down()
                        let down = try await eventually(seconds: 10) { await ready().allSatisfy { $0 == 503 } }
                        #expect(down, "every node's /readyz is 503 while the database is down")
                        #expect(try await eventually(seconds: 10) { tally.refused > 0 }, "writes are refused")
                        try await Task.sleep(for: .seconds(2))
                        let acknowledgedWhileDown = tally.totalAcknowledged
                        try await server.up()
                        let back = try await eventually(seconds: 30) { await ready().allSatisfy { $0 == 200 } }
                        let readiness = await ready()
                        #expect(back, "every node is ready again: \(readiness)")
                        let writingAgain = try await eventually(seconds: 30) {
                            tally.totalAcknowledged >= acknowledgedWhileDown + 100
                        }
                        #expect(writingAgain, "writes are acknowledged again")
                    }
                    try await group.waitForAll()
                }
                #expect(processes.allSatisfy { $0.isRunning }, "no node restarted")
                let counts = tally.counts.withLock { $0 }
                #expect(counts.refused > 0 && counts.refusedWithoutRetryAfter == 0, "503s carry Retry-After")
                #expect(
                    counts.unexpected.isEmpty && counts.unanswered == 0, "\(counts.unexpected), \(counts.unanswered)")

                // Every acknowledged reply is stored, once.
                let database = try await PostgresConnection.connect(server.uri)
                defer { database.close() }
                let stored = try await database.execute(
                    "SELECT body FROM messages WHERE author = 'agent' AND body LIKE 'w_ reply %'")
                let bodies = try stored.rows.map { try $0.get(stored.column("body"), as: String.self) }
                for writer in conversations.indices {
                    let storedIndexes = Self.replyIndexes(of: writer, in: bodies)
                    let acknowledged = tally.acknowledged(writer)
                    #expect(
                        Set(storedIndexes).isSuperset(of: acknowledged),
                        "writer \(writer): every acknowledged reply stored")
                    #expect(Set(storedIndexes).count == storedIndexes.count, "writer \(writer): each once")
                }
                // And those to the verified phone are texted, in order, none more than twice.
                let texted = try await eventually(seconds: 60) {
                    Set(Self.replyIndexes(of: 0, in: fake.bodies(to: phone))).isSuperset(of: tally.acknowledged(0))
                }
                #expect(texted, "every acknowledged reply to the phone was texted")
                let order = Self.replyIndexes(of: 0, in: fake.bodies(to: phone))
                #expect(order == order.sorted())
                #expect(Dictionary(order.map { ($0, 1) }, uniquingKeysWith: +).values.allSatisfy { $0 <= 2 })
                print(
                    "PostgreSQL restarted under load: \(tally.totalAcknowledged) replies acknowledged, "
                        + "\(counts.refused) refused with 503, \(order.count - Set(order).count) texted twice")
            }
        }
    }
}
