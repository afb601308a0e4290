import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Consent per program over HTTP (API.md "Programs and consent"): opt-ins obtained elsewhere with
/// their evidence, marketing's double opt-in, one program ended without the others, STOP first.
@Suite struct ConsentAPITests {
    static let auth = API.agent
    static let phone = "%2B14155550170"

    static func withApp(_ body: (HTTPTestClient) async throws -> Void) async throws {
        try await Templates.withApp { client, _ in try await body(client) }
    }

    static func paperOptIn(program: String = "reminders", extra: String = "") -> String {
        Templates.paperOptIn(program: program, extra: extra)
    }

    static func ledger(_ client: HTTPTestClient) async throws -> [[String: Any]] {
        let response = try await client.request("GET", "/v1/contacts/\(phone)/consents", headers: auth)
        return response.json?["consents"] as? [[String: Any]] ?? []
    }

    @Test func anOptInFromElsewhereIsRecordedWithItsEvidenceAndOneProgramEndsAlone() async throws {
        try await Self.withApp { client in
            let recorded = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth,
                body: Self.paperOptIn(extra: #","client_id":"paper-1""#))
            #expect(recorded.status == 201)
            let consent = try #require(recorded.json?["consent"] as? [String: Any])
            #expect(consent["state"] as? String == "active" && consent["program"] as? String == "reminders")
            #expect(consent["source"] as? String == "paper")
            #expect(consent["captured_at"] as? String == "2026-11-30T20:04:05.250Z")
            #expect((consent["evidence"] as? [String: Any])?["reference"] as? String == "form 4411")
            let retried = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth,
                body: Self.paperOptIn(extra: #","client_id":"paper-1""#))
            #expect(retried.status == 200)
            #expect((retried.json?["consent"] as? [String: Any])?["id"] as? String == consent["id"] as? String)
            _ = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth,
                body: Self.paperOptIn(program: "chat"))

            let ended = try await client.request(
                "DELETE", "/v1/contacts/\(Self.phone)/consents/reminders", headers: Self.auth)
            #expect(ended.status == 200)
            #expect((ended.json?["consent"] as? [String: Any])?["state"] as? String == "revoked")
            let entries = try await Self.ledger(client)
            #expect(entries.compactMap { $0["state"] as? String } == ["active", "active", "revoked"])
            #expect(entries.compactMap { $0["program"] as? String } == ["reminders", "chat", "reminders"])
            let unknown = try await client.request(
                "DELETE", "/v1/contacts/\(Self.phone)/consents/nope", headers: Self.auth)
            #expect(unknown.status == 422 && API.errorCode(unknown) == "unknown_program")
        }
    }

    @Test func marketingNeedsTheNumbersOwnYes() async throws {
        try await Self.withApp { client in
            let direct = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth,
                body: Self.paperOptIn(program: "offers"))
            #expect(direct.status == 422 && API.errorCode(direct) == "confirmation_required")
            #expect(API.errorField(direct) == "confirm_by_sms")
            let pending = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth,
                body: Self.paperOptIn(program: "offers", extra: #","confirm_by_sms":true"#))
            #expect(pending.status == 201)
            #expect((pending.json?["consent"] as? [String: Any])?["state"] as? String == "pending")
        }
    }

    @Test func aMarketingOptInIsConfirmedByTheNumbersOwnYes() async throws {
        try await TestApplication.live({
            $0.programs = Templates.programs
            $0.brandName = "Acme Dental"
        }) { _, client, simulator in
            let phone = "+14155550175"
            let pending = try await client.request(
                "POST", "/v1/contacts/%2B14155550175/consents", headers: Self.auth,
                body: Self.paperOptIn(program: "offers", extra: #","confirm_by_sms":true"#))
            #expect(pending.status == 201)
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body.hasPrefix("Acme Dental: reply YES to get Offers texts.")
                        == true
                })
            #expect(simulator.inbox(of: phone).last?.body.contains("STOP") == true)
            let answer = try await simulator.reply(from: phone, to: API.sender, body: "Yes!")
            #expect(answer.status == 200)
            #expect(
                try await eventually {
                    let states =
                        try await client.request("GET", "/v1/contacts/%2B14155550175/consents", headers: Self.auth)
                        .json?["consents"] as? [[String: Any]]
                    return states?.compactMap { $0["state"] as? String } == ["pending", "active"]
                })
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body.hasPrefix("Acme Dental: you're subscribed (offers).") == true
                })
            // A second YES confirms nothing more: it is an ordinary message now.
            _ = try await simulator.reply(from: phone, to: API.sender, body: "yes")
            try await Task.sleep(for: .milliseconds(300))
            let entries =
                try await client.request("GET", "/v1/contacts/%2B14155550175/consents", headers: Self.auth)
                .json?["consents"] as? [[String: Any]]
            #expect(entries?.count == 2)
        }
    }

    @Test(arguments: [
        (#","source":"fax""#, "invalid_field", "source"),
        (#","captured_at":"yesterday""#, "invalid_field", "captured_at"),
        (#","captured_at":"2999-01-01T00:00:00Z""#, "invalid_field", "captured_at"),
        (#","disclosure_text":"  ""#, "invalid_field", "disclosure_text"),
    ])
    func badRecordsAreRefusedAndNothingIsWritten(override: String, code: String, field: String) async throws {
        try await Self.withApp { client in
            var body = Self.paperOptIn()
            let key = String(override.dropFirst(2).prefix { $0 != "\"" })
            // Drop the field the override replaces, then add the override.
            body = body.replacingOccurrences(
                of: #""\#(key)":"[^"]*","#, with: "", options: .regularExpression)
            body.removeLast()
            body += override + "}"
            let response = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth, body: body)
            #expect(response.status == 422, "\(body)")
            #expect(
                API.errorCode(response) == code && API.errorField(response) == field)
            #expect(try await Self.ledger(client).isEmpty)
        }
    }

    @Test func aNumberThatSentStopIsNotOptedInBehindItsBack() async throws {
        try await Self.withApp { client in
            let suppressed = try await client.request(
                "POST", "/v1/admin/suppressions", headers: Templates.admin,
                body: #"{"phone":"+14155550170","reason":"stop_keyword"}"#)
            #expect(suppressed.status == 201)
            let refused = try await client.request(
                "POST", "/v1/contacts/\(Self.phone)/consents", headers: Self.auth, body: Self.paperOptIn())
            #expect(refused.status == 409 && API.errorCode(refused) == "suppressed")
            #expect(try await Self.ledger(client).isEmpty)
        }
    }
}
