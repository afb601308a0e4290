import DatabaseDriver
import Foundation
import GatewaySimulator
import HandoffCore
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Every customer message keeps its intent (API.md "Intents, queues, agents"): in its
/// representation, its stream event and `message.created`; the conversation keeps the last one
/// and lists filter by it.
@Suite struct StoredIntentTests {
    static func conversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
    }

    static func messages(_ id: String, _ client: HTTPTestClient) async throws -> [[String: Any]] {
        try #require(
            try await client.request("GET", "/v1/conversations/\(id)/messages", headers: API.agent).json?["messages"]
                as? [[String: Any]])
    }

    static func listed(_ query: String, _ client: HTTPTestClient) async throws -> [String] {
        let page = try await client.request("GET", "/v1/conversations?\(query)", headers: API.agent)
        #expect(page.status == 200)
        return try #require(page.json?["conversations"] as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    @Test func aWebRefundRequestKeepsItsRulesIntentEverywhereItShows() async throws {
        let webhooks = try Identity.WebhookReceiver()
        defer { webhooks.stop() }
        try await TestApplication.inProcess({ webhooks.configure(&$0) }) { application, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            #expect(try await Self.conversation(id, client)["last_intent"] is NSNull, "null before any message")
            let posted = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"I want a refund"}"#)
            let written = try #require(posted.json?["message"] as? [String: Any])
            let expected = ["name": "refunds", "source": "rules"]
            #expect(written["intent"] as? [String: String] == expected, "in the answer")

            let history = try await Self.messages(id, client)
            let customer = try #require(history.first { $0["author"] as? String == "visitor" })
            #expect(customer["intent"] as? [String: String] == expected, "in the history, with no confidence")
            let holding = try #require(history.first { $0["author"] as? String == "system" })
            #expect(holding["intent"] == nil, "our own messages have none")
            #expect(try await Self.conversation(id, client)["last_intent"] as? [String: String] == expected)

            let event = try await application.database.read { connection in
                try connection.queryOne(
                    """
                    SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'message'
                    ORDER BY seq LIMIT 1
                    """, [.text(id)])?.get("payload", as: String.self)
            }
            let eventJSON = try #require(event)
            let payload = try #require(
                try JSONSerialization.jsonObject(with: Data(eventJSON.utf8)) as? [String: Any])
            #expect(payload["intent"] as? [String: String] == expected, "in the stream event")

            let created = try await webhooks.events(ofType: "message.created", count: 2)
            let announced = try #require(created.first { $0["author"] as? String == "visitor" })
            #expect(announced["intent"] as? [String: String] == expected, "in message.created")
            #expect(created.first { $0["author"] as? String == "system" }?["intent"] == nil)
            #expect(announced["external_id"] == nil && announced["campaign"] == nil, "an anonymous visitor")
        }
    }

    @Test func aMessageThatMatchesNothingHasANullIntentAndKeepsTheLastOne() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"How much is the blue one"}"#)
            let posted = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Thanks"}"#)
            let written = try #require(posted.json?["message"] as? [String: Any])
            #expect(written["intent"] is NSNull, "a customer's message says it has none")
            #expect(
                try await Self.conversation(id, client)["last_intent"] as? [String: String]
                    == ["name": "pricing", "source": "rules"])
        }
    }

    @Test func conversationsAreListedByTheirLastIntent() async throws {
        try await TestApplication.inProcess { _, client, _ in
            var ids: [String] = []
            for body in ["I want a refund", "How much is shipping", "Hello there"] {
                let (cookie, session) = try await API.startSession(client)
                ids.append(try #require(session["conversation_id"] as? String))
                _ = try await client.request(
                    "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
            }
            #expect(try await Self.listed("intent=refunds", client) == [ids[0]])
            #expect(try await Self.listed("intent=pricing", client) == [ids[1]])
            #expect(try await Self.listed("intent=pricing&state=escalated", client).isEmpty)
            #expect(try await Self.listed("intent=support", client).isEmpty)
            #expect(try await Self.listed("limit=50", client).count == 3, "no filter, every one")
        }
    }

    @Test func aFoldedConversationTakesTheNewestIntent() async throws {
        try await TestApplication.live { _, client, simulator in try await Self.checkFold(client, simulator) }
    }

    /// A second browser that verifies a number brings its messages into the number's
    /// conversation: the newest intent among them all becomes its last.
    static func checkFold(_ client: HTTPTestClient, _ simulator: GatewaySimulator) async throws {
        let phone = "+14155550172"
        let (_, id) = try await API.activeSession(phone, client, simulator)
        #expect(try await Self.conversation(id, client)["last_intent"] is NSNull)
        let (otherCookie, _) = try await API.startSession(client)
        _ = try await client.request(
            "POST", "/v1/messages", headers: API.json(otherCookie), body: #"{"body":"How much is shipping"}"#)
        _ = try await client.request(
            "POST", "/v1/handoff", headers: API.json(otherCookie),
            body: #"{"phone":"\#(phone)","consent":true}"#)
        let code = try await API.code(simulator, phone, number: 2)
        let joined = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(otherCookie), body: #"{"code":"\#(code)"}"#)
        #expect(joined.status == 200)
        #expect(
            try await Self.conversation(id, client)["last_intent"] as? [String: String]
                == ["name": "pricing", "source": "rules"])
    }

    @Test func aTextedSTOPIsAKeywordIntentAndWordsAreRules() async throws {
        try await TestApplication.live { application, client, simulator in
            try await Self.checkTexts(application, client, simulator)
        }
    }

    /// By text, a human request is a rules intent and STOP a keyword one; the conversation's last
    /// intent follows and lists filter by it. A classifier's intent keeps its confidence.
    static func checkTexts(
        _ application: HandoffApplication, _ client: HTTPTestClient, _ simulator: GatewaySimulator
    ) async throws {
        let phone = "+14155550171"
        let (_, id) = try await API.activeSession(phone, client, simulator)
        _ = try await simulator.reply(from: phone, to: API.sender, body: "can I talk to a human")
        _ = try await simulator.reply(from: phone, to: API.sender, body: "STOP")
        let texts = try await Self.messages(id, client).filter {
            $0["channel"] as? String == "sms" && $0["direction"] as? String == "inbound"
        }.suffix(2)
        #expect(
            texts.map { $0["intent"] as? [String: String] } == [
                ["name": "human_request", "source": "rules"], ["name": "opt_out", "source": "keyword"],
            ])
        #expect(
            try await Self.conversation(id, client)["last_intent"] as? [String: String]
                == ["name": "opt_out", "source": "keyword"])
        #expect(try await Self.listed("intent=opt_out", client) == [id])
        #expect(try await Self.listed("intent=human_request", client).isEmpty, "only the last intent counts")

        let classified = MessageIntent(name: "billing", source: .classifier, confidence: 0.875)
        let stored = try await application.database.write { connection in
            let chat = ChatRepository(connection)
            let message = try chat.insert(
                MessageRecord(
                    id: "msg_classified", conversationID: id, direction: .inbound, channel: .web, author: .visitor,
                    body: "my invoice", status: "received", intent: classified, createdAt: 1, updatedAt: 1),
                clientKey: nil)
            try chat.recordLastIntent(classified, conversationID: id)
            return (try chat.message(id: message.id)?.intent, try chat.conversation(id: id)?.lastIntent)
        }
        #expect(stored.0 == classified && stored.1 == classified, "read back as written, confidence included")
    }
}

/// The same on PostgreSQL.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct StoredIntentPostgresTests {
    @Test func intentsAreStoredAndFilteredOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({ $0.databasePath = scratch.uri }) { application, client, simulator in
                try await StoredIntentTests.checkTexts(application, client, simulator)
                try await StoredIntentTests.checkFold(client, simulator)
            }
        }
    }
}
