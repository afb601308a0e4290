import DatabaseDriver
import Foundation
import Gateway
import GatewaySimulator
import HandoffCore
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// The handoff end to end, in process, its texts through the simulator.
@Suite struct HandoffFlowTests {
    static let phone = "+14155552671"

    @Test func continuesTheChatByTextWithItsContext() async throws {
        try await TestApplication.inProcess { application, client, simulator in
            var (cookie, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            #expect((session["consent_text"] as? String)?.contains("Reply HELP for help") == true)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Where is my order 1234?"}"#)
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            _ = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"It left our warehouse today.","author":"agent"}"#)

            let started = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"(415) 555-2671","consent":true}"#)
            #expect(started.status == 202)
            let pending = started.json?["handoff"] as? [String: Any]
            #expect(pending?["state"] as? String == "pending_verification")
            #expect(pending?["phone_masked"] as? String == "+1******2671")
            let code = try await API.code(simulator, Self.phone)

            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(verified.status == 200)
            #expect((verified.json?["handoff"] as? [String: Any])?["state"] as? String == "active")
            let planted = cookie
            cookie = try API.rotatedCookie(verified)
            #expect(cookie != planted)
            let fixated = try await client.request("GET", "/v1/messages", headers: [("Cookie", planted)])
            #expect(fixated.status == 401, "a cookie from before verification (session fixation) opens nothing")
            #expect(
                try await eventually { simulator.inbox(of: Self.phone).count >= 3 },
                "code, confirmation, summary")
            let texts = simulator.inbox(of: Self.phone).map(\.body)
            #expect(texts[1].contains("all set") && texts[1].contains("STOP"))
            #expect(texts[2].contains("Where is my order 1234?") && texts[2].contains("It left our warehouse today."))

            _ = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"Tracking: 1Z999","author":"agent"}"#)
            #expect(
                try await eventually {
                    simulator.inbox(of: Self.phone).last?.body == "Tracking: 1Z999"
                })
            let history = try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)])
            let messages = try #require(history.json?["messages"] as? [[String: Any]])
            #expect(messages.last?["channel"] as? String == "sms")
            #expect(!messages.contains { ($0["body"] as? String)?.contains(code) == true }, "codes stay out of history")

            // A second browser verifies the same number: one contact, one thread.
            let (otherCookie, _) = try await API.startSession(client)
            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(otherCookie),
                body: #"{"phone":"+14155552671","consent":true}"#)
            let secondCode = try await API.code(simulator, Self.phone, number: 2)
            let joined = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(otherCookie), body: #"{"code":"\#(secondCode)"}"#)
            #expect(joined.status == 200)
            let shared = try await client.request(
                "GET", "/v1/messages?limit=200", headers: [("Cookie", try API.rotatedCookie(joined))])
            let bodies = (shared.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
            #expect(bodies.contains("Where is my order 1234?") && bodies.contains("Tracking: 1Z999"))

            let ledger = try await client.request(
                "GET", "/v1/contacts/%2B14155552671/consents", headers: auth)
            let events = (ledger.json?["consents"] as? [[String: Any]])?.compactMap { $0["event"] as? String }
            #expect(events == ["opt_in_requested", "opt_in_confirmed", "opt_in_requested", "opt_in_confirmed"])
            let first = (ledger.json?["consents"] as? [[String: Any]])?.first
            #expect((first?["disclosure_text"] as? String) == session["consent_text"] as? String)

            let export = try Administration.prettyJSON(
                try await Administration(application.configuration).consentLedger(phone: "(415) 555-2671"))
            let exported = try #require(try JSONSerialization.jsonObject(with: export) as? [String: Any])
            #expect(exported["phone"] as? String == Self.phone)
            #expect((exported["consents"] as? [[String: Any]])?.count == 4, "handoff consents export --phone")

            let stopped = try await client.request("DELETE", "/v1/handoff", headers: [("Cookie", cookie)])
            #expect((stopped.json?["handoff"] as? [String: Any])?["state"] as? String == "opted_out")
            let again = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"+14155552671","consent":true}"#)
            #expect(again.status == 409)
        }
    }

    /// Confirming the code and giving the session its new token are one transaction: when the
    /// rotation fails, the code stays unconfirmed and can be typed again.
    @Test func confirmsTheCodeOnlyWithTheNewToken() async throws {
        try await TestApplication.inProcess { application, client, simulator in
            let (cookie, session) = try await API.startSession(client)
            let sessionID = try #require(session["session_id"] as? String)
            let started = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"+14155552671","consent":true}"#)
            #expect(started.status == 202)
            let code = try await API.code(simulator, Self.phone)
            let refusal = Self.rotationRefusal(on: Backend.ofTestApplication)
            try await application.database.write { writer in
                for statement in refusal.create { try writer.execute(statement) }
            }
            let refused = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(refused.status >= 500)
            let state = try await application.database.read {
                try $0.queryOne(
                    "SELECT state FROM verifications WHERE session_id = ? ORDER BY created_at DESC LIMIT 1",
                    [.text(sessionID)])?.get("state", as: String.self)
            }
            #expect(state == "pending", "no verified phone behind a session whose token was not rotated")
            try await application.database.write { try $0.execute(refusal.drop) }
            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(verified.status == 200)
            #expect(try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)]).status == 401)
            let rotated = try API.rotatedCookie(verified)
            #expect(try await client.request("GET", "/v1/messages", headers: [("Cookie", rotated)]).status == 200)
        }
    }

    /// A trigger that makes every token rotation fail, and the statement that removes it, per backend.
    static func rotationRefusal(on backend: Backend) -> (create: [String], drop: String) {
        switch backend {
        case .sqlite:
            (
                [
                    """
                    CREATE TRIGGER test_refuse_rotation BEFORE UPDATE OF token_hash ON sessions
                    BEGIN SELECT RAISE(ABORT, 'rotation refused by the test'); END
                    """
                ], "DROP TRIGGER test_refuse_rotation"
            )
        case .postgresql:
            (
                [
                    """
                    CREATE FUNCTION test_refuse_rotation() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RAISE EXCEPTION 'rotation refused by the test'; END $$
                    """,
                    """
                    CREATE TRIGGER test_refuse_rotation BEFORE UPDATE OF token_hash ON sessions
                    FOR EACH ROW EXECUTE FUNCTION test_refuse_rotation()
                    """,
                ], "DROP TRIGGER test_refuse_rotation ON sessions"
            )
        }
    }

    @Test func refusesAbuseWithoutSendingAnything() async throws {
        try await TestApplication.inProcess { application, client, simulator in
            let (cookie, _) = try await API.startSession(client)
            let cases: [(String, Int, String)] = [
                (#"{"phone":"+14155550100","consent":false}"#, 422, "consent_required"),
                (#"{"phone":"+14155550100"}"#, 422, "missing_field"),
                (#"{"phone":"+14155550100","consent":"yes"}"#, 422, "invalid_field"),
                (#"{"phone":"call me","consent":true}"#, 422, "invalid_phone_number"),
                (#"{"phone":"+447911123456","consent":true}"#, 422, "country_not_allowed"),
                (#"{"phone":"+1 876 555 0100","consent":true}"#, 422, "country_not_allowed"),
            ]
            for (body, status, code) in cases {
                let response = try await client.request("POST", "/v1/handoff", headers: API.json(cookie), body: body)
                #expect(response.status == status, "\(body)")
                #expect((response.json?["error"] as? [String: Any])?["code"] as? String == code, "\(body)")
            }
            let noPending = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"123456"}"#)
            #expect(noPending.status == 409)

            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"+14155550100","consent":true}"#)
            let code = try await API.code(simulator, "+14155550100")
            let wrong = code == "000000" ? "111111" : "000000"
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(
                    try await client.request(
                        "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(wrong)"}"#
                    ).status)
            }
            #expect(statuses == [422, 422, 422, 422, 409], "the fifth wrong code burns the verification")
            let late = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(late.status == 409, "a burned code does not work even when right")

            for _ in 0..<2 {
                _ = try await client.request(
                    "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"+14155550100","consent":true}"#
                )
            }
            let limited = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"+14155550100","consent":true}"#)
            #expect(limited.status == 429 && limited.header("Retry-After") != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(simulator.inbox(of: "+14155550100").count == 3, "three codes, no more")
            #expect(simulator.inbox(of: "+447911123456").isEmpty)
        }
    }
}

/// The context bridge's summary text.
@Suite struct ContextBridgeTests {
    @Test func keepsTheSummaryShortGSMAndLinkedBack() async throws {
        try await TestApplication.inProcess({
            $0.summaryTemplate = "Last Q: {{question}} / A: {{answer}} {{link}}"
        }) { _, client, simulator in
            let response = try await client.request(
                "POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                body: #"{"page_url":"https://shop.example/orders"}"#)
            let cookie = try #require(response.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            let id = try #require(response.json?["conversation_id"] as? String)
            let question = String(repeating: "Where is the parcel I ordered last week? ", count: 8)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(question)"}"#)
            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"\#(String(repeating: "It is on its way to you. ", count: 10))","author":"agent"}"#)
            let phone = "+14155550152"
            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie),
                body: #"{"phone":"\#(phone)","consent":true}"#)
            let code = try await API.code(simulator, phone)
            _ = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(try await eventually { simulator.inbox(of: phone).count >= 3 })
            let summary = try #require(simulator.inbox(of: phone).last)
            #expect(summary.body.hasPrefix("Last Q: Where is the parcel"))
            #expect(summary.body.hasSuffix("https://shop.example/orders"))
            #expect(summary.segments <= 2)
            #expect(SMSEncoding.of(summary.body) == .gsm7)
        }
    }
}

/// Disclosures per locale and program: what the widget shows is what the ledger keeps.
@Suite struct DisclosureTests {
    @Test func showsAndRecordsTheVisitorsLanguage() async throws {
        try await TestApplication.inProcess({
            $0.consentTexts = ["es": "Acepto mensajes de {{brand}}.", "alerts/es": "Alertas de {{brand}}."]
        }) { application, client, simulator in
            let spanish = [("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")]
            let response = try await client.request("POST", "/v1/sessions", headers: spanish)
            #expect(response.json?["consent_text"] as? String == "Acepto mensajes de Support.")
            let cookie = try #require(response.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            let phone = "+14155550153"
            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie) + spanish,
                body: #"{"phone":"\#(phone)","consent":true}"#)
            let code = try await API.code(simulator, phone)
            _ = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie) + spanish,
                body: #"{"code":"\#(code)"}"#)
            let ledger = try await client.request(
                "GET", "/v1/contacts/%2B14155550153/consents", headers: API.agent)
            let texts = (ledger.json?["consents"] as? [[String: Any]])?.compactMap { $0["disclosure_text"] as? String }
            #expect(texts == ["Acepto mensajes de Support.", "Acepto mensajes de Support."])
            let flow = HandoffFlow(
                database: application.database, events: EventHub(), webhooks: EventWebhooks(isEnabled: false),
                settings: HandoffFlow.Settings(
                    brand: "Acme", program: "chat", defaultRegion: "US", allowedRegions: ["US"],
                    consentText: "Default {{brand}}",
                    consentTexts: ["es": "Es {{brand}}", "alerts/es": "Alertas {{brand}}"],
                    confirmationTemplate: "", summaryTemplate: ""),
                outboxChanged: {})
            #expect(flow.disclosure(program: "alerts", locale: "es-ES") == "Alertas Acme")
            #expect(flow.disclosure(program: "chat", locale: "es") == "Es Acme")
            #expect(flow.disclosure(locale: "de-DE") == "Default Acme")
        }
    }
}
