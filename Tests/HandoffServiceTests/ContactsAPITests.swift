import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// The contacts API (API.md "Identity, attribution, outcomes, reports"): a contact by external id
/// or id with its consents, its conversations, the unmasked phone for admin keys only, and texts
/// addressed to `{external_id}`.
@Suite struct ContactsAPITests {
    static let phone = "+14155550123"

    @Test func aContactIsFoundByExternalIDAndByIDWithItsConsents() async throws {
        try await TestApplication.live(Identity.configure) { _, client, simulator in
            let (_, conversationID) = try await Identity.identifiedSessionWithPhone(
                client, simulator, "crm-100", phone: Self.phone,
                extra: #","display_name":"Grace","locale":"en-GB","timezone":"Europe/London""#)
            let found = try await client.request("GET", "/v1/contacts?external_id=crm-100", headers: API.agent)
            #expect(found.status == 200)
            let contact = try #require(found.json?["contact"] as? [String: Any])
            #expect(contact["external_id"] as? String == "crm-100" && contact["display_name"] as? String == "Grace")
            #expect(contact["phone_masked"] as? String == "+1******0123" && contact["phone"] == nil)
            #expect(contact["locale"] as? String == "en-GB" && contact["timezone"] as? String == "Europe/London")
            let consents = try #require(contact["consents"] as? [[String: Any]])
            #expect(consents.map { $0["program"] as? String } == ["chat"])
            #expect(consents.first?["state"] as? String == "active" && consents.first?["updated_at"] is String)

            let id = try #require(contact["id"] as? String)
            let byID = try await client.request("GET", "/v1/contacts/\(id)", headers: API.agent)
            #expect((byID.json?["contact"] as? [String: Any])?["external_id"] as? String == "crm-100")
            #expect(try await Identity.contactOfConversation(conversationID, client)["id"] as? String == id)

            // Admin keys see the number itself; API keys never do.
            for path in ["/v1/contacts?external_id=crm-100", "/v1/contacts/\(id)"] {
                let admin = try await client.request("GET", path, headers: Identity.admin)
                #expect((admin.json?["contact"] as? [String: Any])?["phone"] as? String == Self.phone, "\(path)")
            }
            let conversations = try await client.request(
                "GET", "/v1/contacts/\(id)/conversations", headers: API.agent)
            let listed = try #require(conversations.json?["conversations"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [conversationID])
            #expect(listed.allSatisfy { ($0["contact"] as? [String: Any])?["phone"] == nil })
        }
    }

    @Test func aSTOPShowsAsRevokedInTheContactsConsents() async throws {
        try await TestApplication.live(Identity.configure) { _, client, simulator in
            _ = try await Identity.identifiedSessionWithPhone(client, simulator, "crm-101", phone: Self.phone)
            try await Identity.optInToReceipts(Self.phone, client)
            let before = try await client.request("GET", "/v1/contacts?external_id=crm-101", headers: API.agent)
            let active = (before.json?["contact"] as? [String: Any])?["consents"] as? [[String: Any]] ?? []
            #expect(
                active.map { "\($0["program"] ?? "-"):\($0["state"] ?? "-")" } == ["chat:active", "receipts:active"])
            _ = try await simulator.reply(from: Self.phone, to: API.sender, body: "STOP")
            let after = try await client.request("GET", "/v1/contacts?external_id=crm-101", headers: API.agent)
            let consents = try #require((after.json?["contact"] as? [String: Any])?["consents"] as? [[String: Any]])
            #expect(Set(consents.compactMap { $0["program"] as? String }).isSuperset(of: ["chat", "receipts"]))
            #expect(consents.allSatisfy { $0["state"] as? String == "revoked" })
        }
    }

    @Test func refusals() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let (_, conversationID) = try await Identity.identifiedSession(client, "crm-102")
            let id = try #require(try await Identity.contactOfConversation(conversationID, client)["id"] as? String)
            for path in [
                "/v1/contacts?external_id=nobody", "/v1/contacts/ct_nobody", "/v1/contacts/ct_nobody/conversations",
            ] {
                let missing = try await client.request("GET", path, headers: API.agent)
                #expect(missing.status == 404 && API.errorCode(missing) == "contact_not_found", "\(path)")
            }
            let unnamed = try await client.request("GET", "/v1/contacts", headers: API.agent)
            #expect(unnamed.status == 422 && API.errorField(unnamed) == "external_id")
            for path in ["/v1/contacts?external_id=crm-102", "/v1/contacts/\(id)", "/v1/contacts/\(id)/conversations"] {
                let anonymous = try await client.request("GET", path)
                #expect(anonymous.status == 401, "\(path)")
                let wrong = try await client.request(
                    "GET", path, headers: [("Authorization", "Bearer wrong-key-0123456789")])
                #expect(wrong.status == 401, "\(path)")
            }
        }
    }

    @Test func aContactsConversationsArePaged() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let first = try await Identity.identifiedSession(client, "crm-103")
            let closed = try await client.request(
                "POST", "/v1/conversations/\(first.conversationID)/close", headers: API.agent)
            #expect(closed.status == 200)
            let second = try await Identity.identifiedSession(client, "crm-103")
            #expect(second.conversationID != first.conversationID)
            let id = try #require(
                try await Identity.contactOfConversation(second.conversationID, client)["id"] as? String)
            let page = try await client.request("GET", "/v1/contacts/\(id)/conversations?limit=1", headers: API.agent)
            let after = try #require(page.json?["next_after"] as? String)
            let rest = try await client.request(
                "GET", "/v1/contacts/\(id)/conversations?limit=1&after=\(after)", headers: API.agent)
            let ids = [page, rest].flatMap {
                ($0.json?["conversations"] as? [[String: Any]] ?? []).map { $0["id"] as? String }
            }
            #expect(ids == [first.conversationID, second.conversationID])
        }
    }

    @Test func aTextAddressedToAnExternalIDReachesTheContactsPhone() async throws {
        try await TestApplication.live(Identity.configure) { _, client, simulator in
            let (_, conversationID) = try await Identity.identifiedSessionWithPhone(
                client, simulator, "crm-104", phone: Self.phone)
            let template = try await Identity.approvedReceiptTemplate(client)
            try await Identity.optInToReceipts(Self.phone, client)
            let body =
                #"{"to":{"external_id":"crm-104"},"program":"receipts","template":"\#(template)","variables":{"amount":"$12.50"}}"#
            let accepted = try await client.request("POST", "/v1/outbound", headers: API.agent, body: body)
            #expect(accepted.status == 202)
            let outbound = try #require(accepted.json?["outbound"] as? [String: Any])
            #expect(
                outbound["conversation_id"] as? String == conversationID
                    && outbound["to_masked"] as? String == "+1******0123")
            #expect(
                try await eventually { simulator.inbox(of: Self.phone).contains { $0.body.contains("paid $12.50") } })

            let batch = try await client.request(
                "POST", "/v1/outbound/batch", headers: API.agent,
                body:
                    #"{"program":"receipts","template":"\#(template)","recipients":[{"to":{"external_id":"crm-104"},"variables":{"amount":"$1"}},{"to":{"external_id":"nobody"},"variables":{"amount":"$2"}}]}"#
            )
            let results = try #require(batch.json?["results"] as? [[String: Any]])
            #expect(results.first?["outbound"] != nil)
            let refusal = try #require(results.last?["error"] as? [String: Any])
            #expect(refusal["code"] as? String == "unknown_contact" && refusal["field"] as? String == "to")
        }
    }

    @Test func anExternalIDWithoutANumberOrUnknownIsRefused() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            _ = try await Identity.identifiedSession(client, "crm-105")
            let template = try await Identity.approvedReceiptTemplate(client)
            func send(_ to: String) async throws -> HTTPTestClient.Response {
                try await client.request(
                    "POST", "/v1/outbound", headers: API.agent,
                    body: #"{"to":\#(to),"program":"receipts","template":"\#(template)","variables":{"amount":"$1"}}"#)
            }
            let unknown = try await send(#"{"external_id":"nobody"}"#)
            #expect(
                unknown.status == 422 && API.errorCode(unknown) == "unknown_contact" && API.errorField(unknown) == "to")
            let noPhone = try await send(#"{"external_id":"crm-105"}"#)
            #expect(noPhone.status == 409 && API.errorCode(noPhone) == "no_consent")
            let unnamed = try await send("{}")
            #expect(unnamed.status == 422 && API.errorField(unnamed) == "to.external_id")
            let number = try await send("42")
            #expect(number.status == 422 && API.errorField(number) == "to")
        }
    }
}
