import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Outcomes (API.md "Identity, attribution, outcomes, reports"): what a conversation led to,
/// recorded once per client key and announced as `outcome.recorded`.
@Suite struct OutcomeTests {
    static func record(
        _ conversationID: String, _ body: String, _ client: HTTPTestClient, headers: [(String, String)] = []
    ) async throws -> HTTPTestClient.Response {
        try await client.request(
            "POST", "/v1/conversations/\(conversationID)/outcomes", headers: API.agent + headers, body: body)
    }

    /// How many outcomes the database holds.
    static func count(_ application: HandoffApplication) async throws -> Int {
        try await application.database.read { connection in
            try connection.queryOne("SELECT count(*) AS n FROM outcomes")?.get("n", as: Int.self) ?? -1
        }
    }

    /// `message.created` names the CRM's customer and the campaign, as the conversation's events do.
    @Test func aMessageIsAnnouncedWithItsContactsExternalIDAndCampaign() async throws {
        let webhooks = try Identity.WebhookReceiver()
        defer { webhooks.stop() }
        try await TestApplication.live({
            Identity.configure(&$0)
            webhooks.configure(&$0)
        }) { _, client, _ in
            let (cookie, _) = try await Identity.identifiedSession(
                client, "crm-300", extra: #","campaign":"fall-2026""#)
            let sent = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Is my order ready?"}"#)
            #expect(sent.status == 201)
            let created = try await webhooks.events(ofType: "message.created", count: 1)
            let announced = try #require(created.first { $0["body"] as? String == "Is my order ready?" })
            #expect(announced["external_id"] as? String == "crm-300")
            #expect(announced["campaign"] as? String == "fall-2026")
            #expect(announced["author"] as? String == "visitor", "the message's own fields are all still there")
        }
    }

    @Test func anOutcomeIsRecordedOnceAndAnnouncedWithItsContactAndCampaign() async throws {
        let webhooks = try Identity.WebhookReceiver()
        defer { webhooks.stop() }
        try await TestApplication.live({
            Identity.configure(&$0)
            webhooks.configure(&$0)
        }) { application, client, _ in
            let (_, conversationID) = try await Identity.identifiedSession(
                client, "crm-200", extra: #","campaign":"spring-2026""#)
            let body = #"{"type":"booked","value_cents":12500,"currency":"USD","external_ref":"B-1","client_id":"o-1"}"#
            let recorded = try await Self.record(conversationID, body, client)
            #expect(recorded.status == 201)
            let outcome = try #require(recorded.json?["outcome"] as? [String: Any])
            #expect(outcome["type"] as? String == "booked" && outcome["value_cents"] as? Int == 12500)
            #expect(outcome["currency"] as? String == "USD" && outcome["external_ref"] as? String == "B-1")
            #expect(outcome["conversation_id"] as? String == conversationID && outcome["created_at"] is String)
            let id = try #require(outcome["id"] as? String)

            // A retry (even with another body) answers the first outcome and records nothing.
            let retried = try await Self.record(
                conversationID, #"{"type":"paid","value_cents":1,"currency":"USD","client_id":"o-1"}"#, client)
            #expect(retried.status == 200)
            let again = try #require(retried.json?["outcome"] as? [String: Any])
            #expect(again["id"] as? String == id && again["type"] as? String == "booked")
            // The Idempotency-Key header does the same.
            let keyed = try await Self.record(
                conversationID, #"{"type":"paid"}"#, client, headers: [("Idempotency-Key", "pay-1")])
            let keyedAgain = try await Self.record(
                conversationID, #"{"type":"paid"}"#, client, headers: [("Idempotency-Key", "pay-1")])
            #expect(keyed.status == 201 && keyedAgain.status == 200)
            #expect(
                (keyed.json?["outcome"] as? [String: Any])?["id"] as? String
                    == (keyedAgain.json?["outcome"] as? [String: Any])?["id"] as? String)
            #expect(try await Self.count(application) == 2)

            let events = try await webhooks.events(ofType: "outcome.recorded", count: 2)
            let first = try #require(events.first { (($0["outcome"] as? [String: Any])?["id"] as? String) == id })
            let conversation = try #require(first["conversation"] as? [String: Any])
            #expect(
                conversation["id"] as? String == conversationID && conversation["campaign"] as? String == "spring-2026")
            #expect((conversation["contact"] as? [String: Any])?["external_id"] as? String == "crm-200")
            // Each outcome is announced once, retries included.
            try await Task.sleep(for: .milliseconds(200))
            #expect(webhooks.received(ofType: "outcome.recorded").count == 2)
        }
    }

    @Test func refusals() async throws {
        try await TestApplication.inProcess(Identity.configure) { application, client, _ in
            let (_, conversationID) = try await Identity.identifiedSession(client, "crm-201")
            let invalid: [(String, String, String)] = [
                (#"{"type":"Booked"}"#, "invalid_field", "type"),
                (#"{"type":"booked now"}"#, "invalid_field", "type"),
                (#"{"type":"\#(String(repeating: "a", count: 65))"}"#, "invalid_field", "type"),
                (#"{"type":"paid","value_cents":-5,"currency":"USD"}"#, "invalid_field", "value_cents"),
                (#"{"type":"paid","value_cents":5,"currency":"usd"}"#, "invalid_field", "currency"),
                (#"{"type":"paid","currency":"USD"}"#, "invalid_field", "currency"),
                (#"{"type":"paid","value_cents":1.5}"#, "invalid_field", "value_cents"),
                (#"{"type":"paid","value_cents":1e30}"#, "invalid_field", "value_cents"),
                (#"{"type":"paid","external_ref":""}"#, "invalid_field", "external_ref"),
                (#"{"type":"paid","client_id":""}"#, "invalid_field", "client_id"),
                (#"{"value_cents":5}"#, "missing_field", "type"),
            ]
            for (body, code, field) in invalid {
                let refused = try await Self.record(conversationID, body, client)
                #expect(refused.status == 422 && API.errorCode(refused) == code, "\(body)")
                #expect(API.errorField(refused) == field, "\(body)")
            }
            let unknown = try await Self.record("conv_nope", #"{"type":"paid"}"#, client)
            #expect(unknown.status == 404 && API.errorCode(unknown) == "conversation_not_found")
            let anonymous = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/outcomes", headers: API.jsonContent,
                body: #"{"type":"paid"}"#)
            #expect(anonymous.status == 401)
            #expect(try await Self.count(application) == 0)
        }
    }

    @Test func erasingTheContactErasesItsOutcomes() async throws {
        try await TestApplication.inProcess(Identity.configure) { application, client, simulator in
            let phone = "+14155550166"
            let (_, conversationID) = try await Identity.identifiedSessionWithPhone(
                client, simulator, "crm-202", phone: phone)
            let recorded = try await Self.record(
                conversationID, #"{"type":"paid","value_cents":900,"currency":"EUR"}"#, client)
            #expect(recorded.status == 201)
            let path = "/v1/admin/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))"
            let exported = try await client.request("GET", path, headers: Identity.admin)
            #expect((exported.json?["outcomes"] as? [[String: Any]])?.first?["value_cents"] as? Int == 900)
            let erased = try await client.request("DELETE", path, headers: Identity.admin)
            #expect(erased.status == 200)
            #expect(try await Self.count(application) == 0)
        }
    }
}
