import Foundation
import GatewaySimulator
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// What the template, consent and proactive-text suites start from: an application with programs
/// and an admin key, and the requests they share.
enum Templates {
    static let adminKey = "admin-key-for-template-tests"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]
    /// Reminders (transactional, at most two a day) and offers (marketing).
    static let programs = try! ProgramCatalog([
        Program(
            id: "reminders", name: "Reminders", kind: .transactional, dailyCap: 2,
            disclosures: ["en": "{{brand}} reminders. Reply STOP to cancel."]),
        Program(
            id: "offers", name: "Offers", kind: .marketing,
            disclosures: ["en": "{{brand}} offers. Reply STOP to cancel."]),
    ])

    /// Runs `body` in process against an application with `programs`, the admin key and the
    /// brand "Acme Dental".
    static func withApp(_ body: (HTTPTestClient, GatewaySimulator) async throws -> Void) async throws {
        try await TestApplication.inProcess(configure) { _, client, simulator in try await body(client, simulator) }
    }

    /// `programs`, the admin key and the brand "Acme Dental".
    static func configure(_ configuration: inout Configuration) {
        configuration.programs = programs
        configuration.adminAPIKeys = [adminKey]
        configuration.brandName = "Acme Dental"
    }

    /// A reminder template of the reminders program, with a client_id.
    static let reminder = """
        {"name":"appointment_reminder","program":"reminders","locale":"en",
         "body":"{{brand}}: see you {{date}} at {{time}}. Reply C to confirm.",
         "variables":[{"name":"date","type":"date"},{"name":"time","type":"time"}],
         "replies":[{"answers":["C","CONFIRM"],"outcome":"confirmed","reply_body":"Thanks! - {{brand}}"}],
         "fallback_queue":"front_desk","client_id":"create-1"}
        """

    /// The `template` of a response.
    static func template(_ response: HTTPTestClient.Response) -> [String: Any] {
        response.json?["template"] as? [String: Any] ?? [:]
    }

    /// An opt-in to `program` obtained on paper, with its evidence.
    static func paperOptIn(program: String = "reminders", extra: String = "") -> String {
        """
        {"program":"\(program)","source":"paper","disclosure_text":"Acme Dental reminders. Reply STOP to cancel.",
         "captured_at":"2026-11-30T15:04:05.250-05:00",
         "evidence":{"reference":"form 4411","ip":"203.0.113.9"}\(extra)}
        """
    }
}
