import Foundation
import HandoffDomain
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Attribution (API.md "Identity, attribution, outcomes, reports"): the campaign and the UTM
/// fields of the page a conversation started on, kept on the conversation from its start.
@Suite struct AttributionTests {
    static let page =
        "https://shop.example/spring?utm_source=newsletter&utm_medium=email&utm_campaign=spring+sale%202026#top"

    /// The conversation as agents see it.
    static func conversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
    }

    @Test func theCampaignAndUTMFieldsOfTheStartingPageAreKept() async throws {
        try await TestApplication.live(Identity.configure) { _, client, _ in
            let started = try await Identity.startSession(
                client, body: #"{"campaign":"spring-2026","page_url":"\#(Self.page)"}"#)
            #expect(started.status == 201)
            let cookie = try #require(started.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            let id = try #require(started.json?["conversation_id"] as? String)
            let expected: [String: String] = [
                "campaign": "spring-2026", "page_url": Self.page, "utm_source": "newsletter", "utm_medium": "email",
                "utm_campaign": "spring sale 2026",
            ]
            let conversation = try await Self.conversation(id, client)
            for (field, value) in expected { #expect(conversation[field] as? String == value, "\(field)") }

            // Resuming the session (another page, another campaign) changes nothing.
            let resumed = try await Identity.startSession(
                client, body: #"{"campaign":"other","page_url":"https://shop.example/?utm_source=ads"}"#,
                cookie: cookie)
            #expect(resumed.status == 200 && resumed.json?["conversation_id"] as? String == id)
            let listed = try await client.request("GET", "/v1/conversations", headers: API.agent)
            let same = try #require(
                (listed.json?["conversations"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            for (field, value) in expected { #expect(same[field] as? String == value, "\(field)") }

            // A conversation that starts later has its own.
            _ = try await client.request("POST", "/v1/conversations/\(id)/close", headers: API.agent)
            let next = try await Identity.startSession(
                client, body: #"{"campaign":"winter","page_url":"https://shop.example/?utm_source=ads"}"#,
                cookie: cookie)
            let nextID = try #require(next.json?["conversation_id"] as? String)
            #expect(nextID != id)
            let later = try await Self.conversation(nextID, client)
            #expect(later["campaign"] as? String == "winter" && later["utm_source"] as? String == "ads")
            #expect(later["utm_medium"] == nil && later["utm_campaign"] == nil)
        }
    }

    @Test func aProactiveTextThatOpensAConversationRecordsItsCampaign() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let template = try await Identity.approvedReceiptTemplate(client)
            try await Identity.optInToReceipts("+14155550177", client)
            let accepted = try await client.request(
                "POST", "/v1/outbound", headers: API.agent,
                body:
                    #"{"to":"+14155550177","program":"receipts","template":"\#(template)","variables":{"amount":"$3"},"campaign":"december-receipts"}"#
            )
            #expect(accepted.status == 202)
            let id = try #require((accepted.json?["outbound"] as? [String: Any])?["conversation_id"] as? String)
            #expect(try await Self.conversation(id, client)["campaign"] as? String == "december-receipts")
        }
    }

    @Test func aTooLongCampaignIs422() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let refused = try await Identity.startSession(
                client, body: #"{"campaign":"\#(String(repeating: "c", count: 129))"}"#)
            #expect(refused.status == 422 && API.errorField(refused) == "campaign")
        }
    }

    @Test(
        arguments: [
            ("https://a.example/", nil, nil, nil),
            ("https://a.example/?utm_source=x&utm_source=y&utm_medium=", "x", nil, nil),
            ("https://a.example/p?q=1&utm_campaign=caf%C3%A9+week#utm_source=nope", nil, nil, "café week"),
            ("https://a.example/?utm_medium=%ZZ&utm_source=ok", "ok", nil, nil),
        ] as [(String, String?, String?, String?)])
    func utmFieldsAreReadFromTheQueryOnly(url: String, source: String?, medium: String?, campaign: String?) {
        let attribution = ConversationAttribution(campaign: nil, page: url)
        #expect(attribution.pageURL == url)
        #expect(
            attribution.utmSource == source && attribution.utmMedium == medium && attribution.utmCampaign == campaign)
    }
}
