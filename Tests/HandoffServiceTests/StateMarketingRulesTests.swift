import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// Marketing texts honour the stricter state rules by default (PROTOCOLS.md "Quiet hours"):
/// Florida allows at most 3 in 24 hours to one number; a state with no such limit does not cap.
@Suite struct StateMarketingRulesTests {
    /// Creates and approves the `sale` template of the marketing program `offers`.
    static func approveSale(_ client: HTTPTestClient) async throws {
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: #"{"name":"sale","program":"offers","body":"{{brand}}: 20% off this week. Reply STOP to opt out."}"#)
        let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: ProgramKeywords.admin)
        #expect(approved.status == 200)
    }

    /// Schedules the sale to `phone` `hours` from now; the status and the error code.
    static func schedule(_ phone: String, inHours hours: Int, _ client: HTTPTestClient) async throws -> (Int, String?) {
        let sendAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double(hours) * 3600))
        let response = try await client.request(
            "POST", "/v1/outbound", headers: API.agent,
            body: #"{"to":"\#(phone)","program":"offers","template":"sale","variables":{},"send_at":"\#(sendAt)"}"#)
        return (response.status, API.errorCode(response))
    }

    @Test func aFourthMarketingTextToAFloridaNumberIn24HoursIsRefused() async throws {
        try await ProgramKeywords.withApp { _, client, simulator in
            try await Self.approveSale(client)
            let miami = "+13055550310"
            let sanFrancisco = "+14155550310"
            for phone in [miami, sanFrancisco] {
                #expect(try await ProgramKeywords.text("DEALS", from: phone, simulator)?.contains("reply YES") == true)
                #expect(try await ProgramKeywords.text("Yes", from: phone, simulator)?.contains("subscribed") == true)
            }
            for hours in 1...3 {
                #expect(try await Self.schedule(miami, inHours: hours, client).0 == 202)
                #expect(try await Self.schedule(sanFrancisco, inHours: hours, client).0 == 202)
            }
            let fourth = try await Self.schedule(miami, inHours: 4, client)
            #expect(fourth.0 == 429 && fourth.1 == "frequency_cap")
            #expect(try await Self.schedule(sanFrancisco, inHours: 4, client).0 == 202, "California has no limit")
            #expect(try await Self.schedule(miami, inHours: 26, client).0 == 202, "24 hours after the first")
        }
    }

    @Test func anyTwentyFourHoursHoldingTheTextCount() {
        let hour: Int64 = 3_600_000
        // Texts due later count too: 3 at hours 10, 20 and 30 fill [10 h, 34 h), which holds 12 h.
        #expect(DailyCap.rollingReached(3, times: [10 * hour, 20 * hour, 30 * hour], sendAt: 12 * hour) == 34 * hour)
        // No 24 hours holds 36 h with 3 others: [20 h, 44 h) holds only 20 h and 30 h.
        #expect(DailyCap.rollingReached(3, times: [10 * hour, 20 * hour, 30 * hour], sendAt: 36 * hour) == nil)
        #expect(DailyCap.rollingReached(3, times: [10 * hour, 20 * hour], sendAt: 12 * hour) == nil)
    }
}
