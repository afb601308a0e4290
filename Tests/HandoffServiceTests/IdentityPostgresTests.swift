import Foundation
import Postgres
import TestSupport
import Testing

@testable import HandoffService

/// Verified identity, the contacts API, attribution and outcomes with the service on PostgreSQL:
/// the same repositories, one SQL text for both backends.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct IdentityPostgresTests {
    @Test func identityContactsAttributionAndOutcomesRunOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({
                Identity.configure(&$0)
                $0.databasePath = scratch.uri
            }) { _, client, simulator in
                let page = "https://shop.example/?utm_source=ads&utm_campaign=winter+deals"
                let (_, conversationID) = try await Identity.identifiedSessionWithPhone(
                    client, simulator, "crm-300", phone: "+14155550144",
                    extra: #","campaign":"winter","page_url":"\#(page)","display_name":"Lin""#)
                // Another browser of the same customer joins the contact; a wrong hash binds nothing.
                let other = try await Identity.identifiedSession(client, "crm-300")
                #expect(other.conversationID == conversationID)
                let refused = try await Identity.startSession(
                    client, body: try Identity.sessionBody("crm-301", hash: Identity.hash("crm-300")))
                #expect(refused.status == 403)

                let found = try await client.request("GET", "/v1/contacts?external_id=crm-300", headers: Identity.admin)
                let contact = try #require(found.json?["contact"] as? [String: Any])
                #expect(contact["phone"] as? String == "+14155550144" && contact["display_name"] as? String == "Lin")
                #expect((contact["consents"] as? [[String: Any]])?.first?["state"] as? String == "active")
                let id = try #require(contact["id"] as? String)
                let listed = try await client.request("GET", "/v1/contacts/\(id)/conversations", headers: API.agent)
                let conversation = try #require((listed.json?["conversations"] as? [[String: Any]])?.first)
                #expect(
                    conversation["id"] as? String == conversationID && conversation["campaign"] as? String == "winter")
                #expect(
                    conversation["utm_source"] as? String == "ads"
                        && conversation["utm_campaign"] as? String == "winter deals")
                #expect(
                    try await client.request("GET", "/v1/contacts?external_id=crm-301", headers: API.agent).status
                        == 404)

                let body = #"{"type":"sale","value_cents":4999,"currency":"USD","client_id":"s-1"}"#
                let path = "/v1/conversations/\(conversationID)/outcomes"
                let recorded = try await client.request("POST", path, headers: API.agent, body: body)
                let retried = try await client.request("POST", path, headers: API.agent, body: body)
                #expect(recorded.status == 201 && retried.status == 200)
                #expect(
                    (recorded.json?["outcome"] as? [String: Any])?["id"] as? String
                        == (retried.json?["outcome"] as? [String: Any])?["id"] as? String)
            }
        }
    }
}

extension IdentityPostgresTests {
    /// Two first sessions of one id at once both find no contact; the serializable write makes one
    /// of them run again, and it joins the contact the other made.
    @Test func concurrentFirstSessionsOfOneCustomerShareOneContact() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({
                Identity.configure(&$0)
                $0.databasePath = scratch.uri
            }) { _, client, _ in
                let body = try Identity.sessionBody("crm-310")
                let started = try await withThrowingTaskGroup(of: HTTPTestClient.Response.self) { group in
                    for _ in 0..<8 { group.addTask { try await Identity.startSession(client, body: body) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(started.map(\.status) == Array(repeating: 201, count: 8))
                #expect(Set(started.compactMap { $0.json?["conversation_id"] as? String }).count == 1)
            }
        }
    }
}
