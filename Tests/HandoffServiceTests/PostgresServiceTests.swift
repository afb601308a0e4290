import Foundation
import Postgres
import TestSupport
import Testing

@testable import HandoffService

/// The whole service on PostgreSQL (`HANDOFF_DATABASE` a postgresql:// URI): the chat, the
/// handoff and inbound texts over real HTTP, with the rows in the scratch database.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresServiceTests {
    @Test func chatHandoffAndInboundTextsRunOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({ $0.databasePath = scratch.uri }) { _, client, simulator in
                #expect(try await client.request("GET", "/readyz").status == 200)
                // The chat: messages in order, a retried one stored once, an agent's reply.
                let (cookie, session) = try await API.startSession(client)
                let conversationID = try #require(session["conversation_id"] as? String)
                let headers = API.json(cookie)
                for index in 1...3 {
                    let sent = try await client.request(
                        "POST", "/v1/messages", headers: headers, body: #"{"body":"hello \#(index)"}"#)
                    #expect(sent.status == 201)
                }
                let retried = try await client.request(
                    "POST", "/v1/messages", headers: headers + [("Idempotency-Key", "k1")], body: #"{"body":"once"}"#)
                let again = try await client.request(
                    "POST", "/v1/messages", headers: headers + [("Idempotency-Key", "k1")], body: #"{"body":"once"}"#)
                #expect(retried.status == 201 && again.status == 200)
                let auth = [
                    ("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json"),
                ]
                let reply = try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                    body: #"{"body":"How can I help?","author":"agent"}"#)
                #expect(reply.status == 201)
                let bodies = try await API.history(cookie, client).compactMap { $0["body"] as? String }
                #expect(bodies == ["hello 1", "hello 2", "hello 3", "once", "How can I help?"])

                // The handoff to a phone (code texted, verified), then the customer's texts.
                let phone = "+14155550191"
                let (smsCookie, smsConversation) = try await API.activeSession(phone, client, simulator)
                let sid = "SM" + String(repeating: "5", count: 32)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            try await simulator.reply(
                                from: phone, to: API.sender, body: "on the train", messageSID: sid
                            ).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses == Array(repeating: 200, count: 20), "every delivery is acknowledged")
                let texts = try await API.history(smsCookie, client).filter {
                    $0["body"] as? String == "on the train"
                }
                #expect(texts.count == 1 && texts.first?["channel"] as? String == "sms")

                // The agent's answer goes out as a text, through the outbox, to the phone.
                let answer = try await client.request(
                    "POST", "/v1/conversations/\(smsConversation)/messages", headers: auth,
                    body: #"{"body":"Texting you the answer","author":"agent"}"#)
                #expect((answer.json?["message"] as? [String: Any])?["channel"] as? String == "sms")
                #expect(
                    try await eventually {
                        simulator.inbox(of: phone).contains { $0.body == "Texting you the answer" }
                    },
                    "the reply reached the phone")

                // It is all in PostgreSQL, and the consent ledger there is append-only too.
                let counts = try await scratch.connection.execute(
                    """
                    SELECT (SELECT count(*) FROM inbound_events WHERE provider_event_id = $1) AS inbound,
                        (SELECT count(*) FROM consents WHERE phone_e164 = $2) AS consents,
                        (SELECT count(*) FROM outbox WHERE state = 'done') AS sent
                    """, [.text(sid), .text(phone)])
                let row = try #require(counts.rows.first)
                #expect(try row.get(counts.column("inbound"), as: Int.self) == 1)
                #expect(try row.get(counts.column("consents"), as: Int.self) >= 2)
                #expect(try row.get(counts.column("sent"), as: Int.self) >= 2)
                let refused = try await #require(throws: PostgresError.self) {
                    try await scratch.connection.execute("DELETE FROM consents")
                }
                #expect(refused.kind == .constraint)
            }
        }
    }

    @Test func aDatabaseDownAtStartOrLostWhileServingGives503AndComesBack() async throws {
        try await ScratchDatabase.with { scratch in
            // Down: the server refuses new connections to the database (existing ones stay).
            let admin = try await PostgresConnection.connect(postgresTestServer ?? "")
            defer { admin.close() }
            try await admin.execute("ALTER DATABASE \(scratch.name) ALLOW_CONNECTIONS false")
            try await TestApplication.live({ $0.databasePath = scratch.uri }) { _, client, _ in
                #expect(try await client.request("GET", "/readyz").status == 503)
                let refused = try await client.request(
                    "POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: "{}")
                #expect(refused.status == 503 && refused.header("Retry-After") != nil)
                #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "storage_unavailable")

                // Back: the node migrates and serves without a restart of its own.
                try await admin.execute("ALTER DATABASE \(scratch.name) ALLOW_CONNECTIONS true")
                #expect(
                    try await eventually(seconds: 15) {
                        (try? await client.request("GET", "/readyz").status) == 200
                    }, "ready once the database is back")
                let (cookie, _) = try await API.startSession(client)

                // Lost while serving: every connection of the node is terminated.
                try await scratch.connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    [.text(scratch.name)])
                var statuses: [Int] = []
                for index in 0..<5 {
                    let sent = try await client.request(
                        "POST", "/v1/messages", headers: API.json(cookie),
                        body: #"{"body":"after the loss \#(index)"}"#)
                    statuses.append(sent.status)
                }
                #expect(statuses.allSatisfy { $0 == 201 || $0 == 503 } && statuses.last == 201, "\(statuses)")
                // What was acknowledged is stored, once; nothing refused is (the routing's holding
                // reply to a run of unanswered messages may come between).
                let stored = try await API.history(cookie, client).compactMap { $0["body"] as? String }
                    .filter { $0.hasPrefix("after the loss ") }
                #expect(stored == (0..<5).filter { statuses[$0] == 201 }.map { "after the loss \($0)" })
            }
        }
    }

    /// Two nodes on one PostgreSQL: every MessageSid, delivered twice to each node at once, is
    /// stored once. A delivery refused with 503 (a write that lost its serialization conflicts
    /// too often) is sent again, as the gateway would.
    @Test func twoNodesStoreEachMessageSidOnce() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({
                $0.databasePath = scratch.uri
                $0.nodeID = "node-a"
            }) { _, clientA, simulatorA in
                let phone = "+14155550192"
                let (cookie, _) = try await API.activeSession(phone, clientA, simulatorA)
                try await TestApplication.live({
                    $0.databasePath = scratch.uri
                    $0.nodeID = "node-b"
                }) { _, _, simulatorB in
                    let sids = (0..<25).map { "SM" + String(repeating: "0", count: 30) + String(format: "%02d", $0) }
                    let refusals = try await withThrowingTaskGroup(of: Int.self) { group in
                        for (index, sid) in sids.enumerated() {
                            for simulator in [simulatorA, simulatorB, simulatorA, simulatorB] {
                                group.addTask {
                                    var refused = 0
                                    while try await simulator.reply(
                                        from: phone, to: API.sender, body: "text \(index)", messageSID: sid
                                    ).status != 200 {
                                        refused += 1
                                        guard refused < 20 else { throw CancellationError() }
                                    }
                                    return refused
                                }
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                    let texts = try await API.history(cookie, clientA).compactMap { $0["body"] as? String }
                        .filter { $0.hasPrefix("text ") }
                    #expect(texts.count == sids.count && Set(texts).count == sids.count, "each MessageSid once")
                    print(
                        "two nodes: \(sids.count * 4) deliveries of \(sids.count) MessageSids, \(refusals) answered 503 and sent again"
                    )
                }
            }
        }
    }
}
