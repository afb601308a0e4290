import DatabaseDriver
import Foundation
import Gateway
import GatewaySimulator
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// The admin API: its own keys, data subject requests, the outbox and its dead letters,
/// suppressions with their audit.
@Suite struct AdministrationTests {
    static let adminKey = "admin-key-for-tests-0123456789"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]

    static func withAdminApp(
        _ mode: TestApplication.Mode,
        _ adjust: (inout Configuration) -> Void = { _ in },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        try await withoutActuallyEscaping(adjust) { adjust in
            try await TestApplication.run(
                mode,
                {
                    $0.adminAPIKeys = [adminKey]
                    adjust(&$0)
                }, body)
        }
    }

    @Test func onlyAdminKeysOpenTheAdminAPIAndGuessingIsCut() async throws {
        try await Self.withAdminApp(.inProcess) { _, client, _ in
            #expect(try await client.request("GET", "/v1/admin/outbox").status == 401)
            let agent = try await client.request("GET", "/v1/admin/outbox", headers: API.agent)
            #expect(agent.status == 401, "a bot/agent key is not an admin key")
            #expect(try await client.request("GET", "/v1/admin/outbox", headers: Self.admin).status == 200)
            var statuses: [Int] = []
            for attempt in 0..<25 {
                let guess = [("Authorization", "Bearer wrong-admin-key-\(attempt)-padding")]
                statuses.append(try await client.request("GET", "/v1/admin/suppressions", headers: guess).status)
            }
            #expect(statuses.prefix(19).allSatisfy { $0 == 401 })
            #expect(statuses.last == 429, "wrong keys are rate limited per address")
            let locked = try await client.request(
                "GET", "/v1/admin/outbox", headers: [("Authorization", "Bearer wrong-admin-key-again-padding")])
            #expect(locked.status == 429 && locked.header("Retry-After") != nil)
            let right = try await client.request("GET", "/v1/admin/outbox", headers: Self.admin)
            #expect(right.status == 200, "a guesser on the same address does not lock the operator out")
        }
    }

    @Test func exportsThenErasesButKeepsTheLedgerAndTheStop() async throws {
        try await Self.withAdminApp(.live) { application, client, simulator in
            let phone = "+14155550157"
            let (cookie, _) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "My address is 1 Main St")
            _ = try await simulator.reply(from: phone, to: API.sender, body: "STOP")

            let export = try await client.request("GET", "/v1/admin/contacts/%2B14155550157", headers: Self.admin)
            #expect(export.status == 200)
            let json = try #require(export.json)
            let messages = (json["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
            #expect(messages.contains("My address is 1 Main St"))
            let webhooks = (json["inbound_webhooks"] as? [[String: Any]])?.compactMap { $0["raw"] as? String } ?? []
            #expect(webhooks.count == 2 && webhooks.allSatisfy { $0.contains("From=%2B14155550157") })
            #expect((json["consents"] as? [[String: Any]])?.count == 3)
            #expect((json["sessions"] as? [[String: Any]])?.isEmpty == false)
            #expect((json["suppression_changes"] as? [[String: Any]])?.first?["actor"] as? String == "customer")
            let invalid = try await client.request("GET", "/v1/admin/contacts/not-a-number", headers: Self.admin)
            #expect(invalid.status == 422)

            let erased = try await client.request("DELETE", "/v1/admin/contacts/%2B14155550157", headers: Self.admin)
            #expect(erased.status == 200)
            #expect((erased.json?["erased_rows"] as? Int ?? 0) > 0)
            let (left, rawLeft, ledger, suppressed, audit) = try await application.database.read { connection in
                (
                    try connection.queryOne("SELECT count(*) AS n FROM messages WHERE body LIKE '%Main St%'")?.get(
                        "n", as: Int.self),
                    try connection.queryOne("SELECT count(*) AS n FROM inbound_events WHERE raw LIKE '%Main+St%'")?.get(
                        "n", as: Int.self),
                    try HandoffRepository(connection).consents(phone: phone).count,
                    try SuppressionRepository(connection).isSuppressed(phone),
                    try connection.queryOne(
                        "SELECT count(*) AS n FROM suppression_changes WHERE phone_e164 = ?",
                        [
                            .text(phone)
                        ])?.get("n", as: Int.self)
                )
            }
            #expect(left == 0, "the messages are gone")
            #expect(rawLeft == 0, "and so are their raw webhooks")
            #expect(ledger == 3, "the consent ledger stays as proof")
            #expect(suppressed, "STOP is still honoured, through the hashed suppression")
            #expect(audit == 0, "the audit keeps the hash, not the number")
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(session.status == 401, "the erased session no longer exists")
        }
    }

    @Test func suppressionsAreAddedAndLiftedWithAReasonAndAudited() async throws {
        try await Self.withAdminApp(.inProcess) { _, client, _ in
            let body = #"{"phone":"(415) 555-0199","reason":"asked by phone not to be texted"}"#
            let added = try await client.request("POST", "/v1/admin/suppressions", headers: Self.admin, body: body)
            #expect(added.status == 201)
            #expect((added.json?["suppression"] as? [String: Any])?["reason"] as? String == "operator")
            let again = try await client.request("POST", "/v1/admin/suppressions", headers: Self.admin, body: body)
            #expect(again.status == 200, "already suppressed: nothing new")

            let list = try await client.request("GET", "/v1/admin/suppressions?limit=1", headers: Self.admin)
            let rows = list.json?["suppressions"] as? [[String: Any]] ?? []
            #expect(rows.first?["phone"] as? String == "+14155550199")

            let noReason = try await client.request(
                "DELETE", "/v1/admin/suppressions/%2B14155550199", headers: Self.admin)
            #expect(noReason.status == 422, "lifting needs a reason")
            let lifted = try await client.request(
                "DELETE", "/v1/admin/suppressions/%2B14155550199", headers: Self.admin,
                body: #"{"reason":"customer confirmed by email they want texts again"}"#)
            #expect(lifted.status == 200)
            #expect(lifted.json?["suppression"] == nil || lifted.json?["suppression"] is NSNull)
            let history = lifted.json?["history"] as? [[String: Any]] ?? []
            #expect(history.map { $0["action"] as? String } == ["added", "removed"])
            #expect((history.first?["actor"] as? String)?.hasPrefix("operator:") == true)
            #expect(history.last?["reason"] as? String == "customer confirmed by email they want texts again")
            #expect(history.allSatisfy { $0["request_id"] as? String != nil })
            let missing = try await client.request(
                "DELETE", "/v1/admin/suppressions/%2B14155550199?reason=again", headers: Self.admin)
            #expect(missing.status == 404)
        }
    }

    @Test func deadLettersAreListedReplayedAndDiscarded() async throws {
        let closedPort = RefusingLoopbackPort()
        try await Self.withAdminApp(
            .inProcess,
            {
                $0.eventWebhookURL = "http://127.0.0.1:\(closedPort.port)/hooks"
                $0.outboxMaxAttempts = 1
            }
        ) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let posted = try await client.request(
                "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", "application/json")],
                body: #"{"body":"hello"}"#)
            var dead: [[String: Any]] = []
            for _ in 0..<300 where dead.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                let page = try await client.request(
                    "GET", "/v1/admin/outbox?state=dead&kind=webhook", headers: Self.admin)
                dead = page.json?["items"] as? [[String: Any]] ?? []
            }
            let letter = try #require(dead.first)
            #expect(letter["event_type"] as? String == "message.created")
            #expect(letter["request_id"] as? String == posted.header("X-Request-Id"), "traceable to its request")
            #expect(letter["payload"] == nil, "bodies stay out of the admin view")
            let id = try #require(letter["id"] as? String)

            let replayed = try await client.request("POST", "/v1/admin/outbox/\(id)/replay", headers: Self.admin)
            #expect(replayed.status == 200)
            #expect(replayed.json?["attempts"] as? Int == 0)
            var state = ""
            for _ in 0..<300 where state != "dead" {
                try await Task.sleep(for: .milliseconds(20))
                let page = try await client.request("GET", "/v1/admin/outbox?kind=webhook", headers: Self.admin)
                state =
                    (page.json?["items"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["state"]
                    as? String ?? ""
            }
            #expect(state == "dead", "replayed, failed again, dead again")

            let discarded = try await client.request(
                "POST", "/v1/admin/outbox/\(id)/discard", headers: Self.admin, body: #"{"reason":"receiver retired"}"#)
            #expect(discarded.status == 200)
            #expect(discarded.json?["state"] as? String == "discarded")
            #expect((discarded.json?["last_error"] as? String)?.contains("receiver retired") == true)
            let twice = try await client.request("POST", "/v1/admin/outbox/\(id)/discard", headers: Self.admin)
            #expect(twice.status == 409)
            let replayDiscarded = try await client.request(
                "POST", "/v1/admin/outbox/\(id)/replay", headers: Self.admin)
            #expect(replayDiscarded.status == 409)
            #expect(
                try await client.request("POST", "/v1/admin/outbox/999999/replay", headers: Self.admin).status == 404)
            let badState = try await client.request("GET", "/v1/admin/outbox?state=lost", headers: Self.admin)
            #expect(badState.status == 422)
        }
        withExtendedLifetime(closedPort) {}
    }
}
