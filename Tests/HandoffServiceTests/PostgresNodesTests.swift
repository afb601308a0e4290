import Foundation
import Postgres
import TestSupport
import Testing

@testable import HandoffService

/// Two nodes (two live applications) on one PostgreSQL database: what is written through one
/// reaches the streams of the other, woken by LISTEN/NOTIFY, and by polling once a second when a
/// notification is lost.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresNodesTests {
    /// Runs `body` with two nodes on one scratch database.
    static func withTwoNodes(
        _ body: (ScratchDatabase, _ a: HTTPTestClient, _ b: HTTPTestClient) async throws -> Void
    ) async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({ $0.databasePath = scratch.uri }) { _, a, _ in
                try await TestApplication.live({ $0.databasePath = scratch.uri }) { _, b, _ in
                    try await body(scratch, a, b)
                }
            }
        }
    }

    static let agent = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]

    /// Posts an agent's reply through `node` and returns how long until `stream` showed it.
    static func replyLatency(
        _ body: String, conversationID: String, through node: HTTPTestClient, shownOn stream: RawHTTPClient
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await node.request(
            "POST", "/v1/conversations/\(conversationID)/messages", headers: agent,
            body: #"{"body":"\#(body)","author":"agent"}"#)
        #expect(reply.status == 201)
        let shown = await stream.read(until: body)
        #expect(shown.contains(body), "\(body) reached the other node's stream")
        return clock.now - start
    }

    /// A visitor's stream on node A shows agents' replies written through node B, woken by a
    /// notification: far sooner than the one-second poll would.
    @Test func aVisitorsStreamOnOneNodeShowsRepliesWrittenThroughAnother() async throws {
        try await Self.withTwoNodes { _, a, b in
            let (cookie, session) = try await API.startSession(a)
            let conversationID = try #require(session["conversation_id"] as? String)
            let stream = try RawHTTPClient(port: a.port)
            try stream.send("GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\n\r\n")
            _ = await stream.read(until: ": connected")
            var latencies: [Duration] = []
            for index in 1...5 {
                latencies.append(
                    try await Self.replyLatency(
                        "from node b \(index)", conversationID: conversationID, through: b, shownOn: stream))
            }
            // Each within the poll's bound; most much sooner (a poll alone would average 500 ms).
            #expect(latencies.allSatisfy { $0 < .seconds(1) }, "\(latencies)")
            #expect(latencies.sorted()[2] < .milliseconds(250), "median of \(latencies)")
        }
    }

    /// The agents' stream on node A shows what a visitor wrote on node B, each event once and in
    /// order, across many writes.
    @Test func anAgentsStreamOnOneNodeShowsEveryVisitorMessageWrittenOnAnother() async throws {
        try await Self.withTwoNodes { _, a, b in
            let stream = try RawHTTPClient(port: a.port)
            try stream.send(
                "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(TestApplication.apiKey)\r\n\r\n")
            _ = await stream.read(until: ": connected")
            let count = 20
            try await withThrowingTaskGroup(of: Void.self) { group in
                for visitor in 0..<4 {
                    group.addTask {
                        let (cookie, _) = try await API.startSession(b)
                        for index in 0..<(count / 4) {
                            let sent = try await b.request(
                                "POST", "/v1/messages", headers: API.json(cookie),
                                body: #"{"body":"visitor \#(visitor) says \#(index)"}"#)
                            #expect(sent.status == 201)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let shown = await stream.read(until: " says ", count: count)
            let ids = shown.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("id: ") }.compactMap {
                Int64($0.dropFirst(4))
            }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids in order, each once")
            #expect(shown.components(separatedBy: " says ").count - 1 == count)
        }
    }

    /// While neither node can LISTEN (their listening connections killed, new connections
    /// refused), node A's poll still brings B's writes within about a second; once connections are
    /// allowed again both listen again, and replies come back promptly.
    @Test func withoutListenersThePollDeliversWithinASecondAndListenersComeBack() async throws {
        try await Self.withTwoNodes { scratch, a, b in
            let (cookie, session) = try await API.startSession(a)
            let conversationID = try #require(session["conversation_id"] as? String)
            let stream = try RawHTTPClient(port: a.port)
            try stream.send("GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\n\r\n")
            _ = await stream.read(until: ": connected")
            func listeners() async throws -> Int {
                let result = try await scratch.connection.execute(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'",
                    [.text(scratch.name)])
                return try result.rows[0].get(result.column("n"), as: Int.self)
            }
            #expect(try await eventually { try await listeners() == 2 }, "both nodes listen")
            // Both pools open a few connections now: they keep them while new ones are refused.
            for node in [a, b] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 { group.addTask { _ = try await API.history(cookie, node) } }
                    try await group.waitForAll()
                }
            }
            let admin = try await PostgresConnection.connect(postgresTestServer ?? "")
            defer { admin.close() }
            try await admin.execute("ALTER DATABASE \(scratch.name) ALLOW_CONNECTIONS false")
            try await scratch.connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'",
                [.text(scratch.name)])
            for index in 1...3 {
                let polled = try await Self.replyLatency(
                    "while nobody listens \(index)", conversationID: conversationID, through: b, shownOn: stream)
                #expect(polled < .seconds(2), "the poll (every second) found it: \(polled)")
            }
            #expect(try await listeners() == 0)

            try await admin.execute("ALTER DATABASE \(scratch.name) ALLOW_CONNECTIONS true")
            #expect(try await eventually { try await listeners() == 2 }, "both nodes listen again")
            var latencies: [Duration] = []
            for index in 1...3 {
                latencies.append(
                    try await Self.replyLatency(
                        "listening again \(index)", conversationID: conversationID, through: b, shownOn: stream))
            }
            #expect(latencies.sorted()[1] < .milliseconds(250), "median of \(latencies)")
        }
    }
}
