import Foundation
import GatewaySimulator
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// What the program keyword and reply suites start from: a live application (texts come back
/// from the simulator) whose programs have keywords, with an admin key and the brand "Acme Dental".
enum ProgramKeywords {
    static let adminKey = "admin-key-for-program-keyword-tests"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]
    /// Reminders (transactional, keyword REMIND, at most two a day) and offers (marketing, DEALS).
    static let programs = try! ProgramCatalog([
        Program(
            id: "reminders", name: "Reminders", kind: .transactional, keyword: "remind", dailyCap: 2,
            disclosures: ["en": "{{brand}} reminders. Msg & data rates may apply. Reply STOP to cancel."]),
        Program(
            id: "offers", name: "Offers", kind: .marketing, keyword: "DEALS",
            disclosures: ["en": "{{brand}} offers. Reply STOP to cancel."]),
    ])

    /// Runs `body` against a live application with `programs`.
    static func withApp(
        _ adjust: (inout Configuration) -> Void = { _ in },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        try await TestApplication.live({
            $0.programs = programs
            $0.adminAPIKeys = [adminKey]
            $0.brandName = "Acme Dental"
            adjust(&$0)
        }) { application, client, simulator in try await body(application, client, simulator) }
    }

    /// The consent ledger of `phone`.
    static func ledger(_ phone: String, _ client: HTTPTestClient) async throws -> [[String: Any]] {
        let response = try await client.request(
            "GET", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents", headers: API.agent)
        return response.json?["consents"] as? [[String: Any]] ?? []
    }

    /// The ledger entries of `phone` for `program`, as `state/source`.
    static func states(_ phone: String, program: String, _ client: HTTPTestClient) async throws -> [String] {
        try await ledger(phone, client).filter { $0["program"] as? String == program }.map {
            "\($0["state"] as? String ?? "?")/\($0["source"] as? String ?? "-")"
        }
    }

    /// The phone texts `body` and gets our TwiML answer's text (nil when we answered nothing).
    static func text(_ body: String, from phone: String, _ simulator: GatewaySimulator) async throws -> String? {
        let before = simulator.inbox(of: phone).count
        let answer = try await simulator.reply(from: phone, to: API.sender, body: body)
        #expect(answer.status == 200)
        let inbox = simulator.inbox(of: phone)
        return inbox.count > before ? inbox.last?.body : nil
    }
}
