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
            disclosures: [
                "en": "{{brand}} reminders. Msg & data rates may apply. Reply STOP to cancel.",
                "es": "Recordatorios de {{brand}}. Responda STOP para cancelar.",
            ]),
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

    /// A reminder template of the reminders program whose replies act: C or YES confirms (with a
    /// reply), R or NEW TIME asks to reschedule; other replies nobody answers go to `front_desk`.
    static let reminder = """
        {"name":"visit_reminder","program":"reminders","locale":"en",
         "body":"{{brand}}: see you {{date}} at {{time}}. Reply C to confirm, R to reschedule.",
         "variables":[{"name":"date","type":"date"},{"name":"time","type":"time"}],
         "replies":[{"answers":["C","Yes"],"outcome":"confirmed","reply_body":"Thanks, see you then! - {{brand}}"},
                    {"answers":["R","new time"],"outcome":"reschedule"}],
         "fallback_queue":"front_desk"}
        """

    /// Creates `reminder` and approves it.
    static func approveReminder(_ client: HTTPTestClient) async throws {
        let created = try await client.request("POST", "/v1/templates", headers: API.agent, body: reminder)
        let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: admin)
        #expect(approved.status == 200)
    }

    /// Opts `phones` in to reminders on paper.
    static func optIn(_ phones: [String], _ client: HTTPTestClient) async throws {
        for phone in phones {
            let recorded = try await client.request(
                "POST", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents",
                headers: API.agent, body: Templates.paperOptIn())
            #expect(recorded.status == 201)
        }
    }

    /// The reminder for `phone`, due at `sendAt` (RFC 3339) or now.
    static func reminderRequest(_ phone: String, sendAt: String? = nil) -> String {
        let due = sendAt.map { #","send_at":"\#($0)""# } ?? ""
        return
            #"{"to":"\#(phone)","program":"reminders","template":"visit_reminder","variables":{"date":"2026-12-11","time":"10:00"}\#(due)}"#
    }

    /// A local day some days ahead in `zone`: its first millisecond (local midnight), so that
    /// tests of the local-day cap schedule inside `send_at`'s 90-day horizon whatever the date
    /// they run on (fixed dates expire: a `send_at` past is sent at once, on today's local day).
    static func localMidnight(in zone: String, daysAhead days: Int) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        let day = calendar.date(byAdding: .day, value: days, to: calendar.startOfDay(for: Date()))!
        return Int64(calendar.startOfDay(for: day).timeIntervalSince1970 * 1000)
    }

    /// RFC 3339 for `minutes` after `milliseconds` (before it when negative).
    static func time(_ milliseconds: Int64, plusMinutes minutes: Int) -> String {
        Timestamp(unixMilliseconds: milliseconds + Int64(minutes) * 60_000).description
    }

    /// Sends the reminder to `phone` and waits until it is on the phone; returns the outbound.
    static func remind(_ phone: String, _ client: HTTPTestClient, _ simulator: GatewaySimulator) async throws
        -> [String: Any]
    {
        let accepted = try await client.request(
            "POST", "/v1/outbound", headers: API.agent, body: reminderRequest(phone))
        #expect(accepted.status == 202)
        #expect(try await eventually { simulator.inbox(of: phone).contains { $0.body.contains("Reply C") } })
        return try #require(accepted.json?["outbound"] as? [String: Any])
    }
}
