import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// A program's keyword texted to our number starts that program's double opt-in (API.md
/// "Configuration of the additions": `keyword`); the number's own YES confirms it. Keywords are
/// read as STOP is (the whole message, any case and spacing), and compliance words always win.
@Suite struct ProgramKeywordTests {
    @Test func aKeywordStartsTheDoubleOptInAndYesConfirmsIt() async throws {
        try await ProgramKeywords.withApp { _, client, simulator in
            let phone = "+14155550301"
            let confirmation = try await ProgramKeywords.text("  remind ", from: phone, simulator)
            #expect(
                confirmation
                    == "Acme Dental: reply YES to get Reminders texts. Acme Dental reminders. Msg & data rates may apply. Reply STOP to cancel."
            )
            #expect(try await ProgramKeywords.states(phone, program: "reminders", client) == ["pending/sms_keyword"])
            let entry = try #require(try await ProgramKeywords.ledger(phone, client).last)
            #expect(entry["method"] as? String == "sms_keyword" && entry["disclosure_text"] as? String == confirmation)
            #expect(entry["captured_at"] is String)
            #expect(try await ProgramKeywords.states(phone, program: "offers", client).isEmpty, "only that program")

            // Asked again while pending: the same question, no second entry.
            #expect(try await ProgramKeywords.text("REMIND", from: phone, simulator) == confirmation)
            #expect(try await ProgramKeywords.states(phone, program: "reminders", client).count == 1)

            let subscribed = try await ProgramKeywords.text("yes", from: phone, simulator)
            #expect(subscribed?.hasPrefix("Acme Dental: you're subscribed (reminders).") == true)
            #expect(
                try await ProgramKeywords.states(phone, program: "reminders", client)
                    == ["pending/sms_keyword", "active/sms_keyword"])
            #expect(
                try await ProgramKeywords.text("Remind.", from: phone, simulator)
                    == "Acme Dental: you're already subscribed to Reminders texts. Reply HELP for help, STOP to cancel."
            )
            #expect(try await ProgramKeywords.states(phone, program: "reminders", client).count == 2)
        }
    }

    @Test func aMarketingKeywordLeavesNothingActiveUntilYes() async throws {
        try await ProgramKeywords.withApp { _, client, simulator in
            let phone = "+14155550302"
            let created = try await client.request(
                "POST", "/v1/templates", headers: API.agent,
                body:
                    #"{"name":"sale","program":"offers","body":"{{brand}}: 20% off this week. Reply STOP to opt out."}"#
            )
            let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
            let approved = try await client.request(
                "POST", "/v1/templates/\(id)/approve", headers: ProgramKeywords.admin)
            #expect(approved.status == 200)
            let send = #"{"to":"+14155550302","program":"offers","template":"sale","variables":{}}"#

            #expect(try await ProgramKeywords.text("deals", from: phone, simulator)?.contains("reply YES") == true)
            let early = try await client.request("POST", "/v1/outbound", headers: API.agent, body: send)
            #expect(early.status == 409 && API.errorCode(early) == "no_consent", "pending is not consent")

            _ = try await ProgramKeywords.text("Yes", from: phone, simulator)
            let sent = try await client.request("POST", "/v1/outbound", headers: API.agent, body: send)
            #expect(sent.status == 202)
        }
    }

    @Test func stopAndHelpWinAndOtherTextsAreOrdinaryMessages() async throws {
        try await ProgramKeywords.withApp { _, client, simulator in
            let phone = "+14155550303"
            #expect(try await ProgramKeywords.text("remind me tomorrow", from: phone, simulator) == nil)
            #expect(try await ProgramKeywords.text("HELP", from: phone, simulator)?.contains("STOP to cancel") == true)
            #expect(try await ProgramKeywords.ledger(phone, client).isEmpty, "no opt-in from other texts")

            _ = try await ProgramKeywords.text("REMIND", from: phone, simulator)
            #expect(try await ProgramKeywords.text("stop", from: phone, simulator)?.contains("unsubscribed") == true)
            // STOP ended the pending opt-in too; the keyword asks again (only the number's own YES
            // opts it back in).
            #expect(try await ProgramKeywords.text("remind", from: phone, simulator)?.contains("reply YES") == true)
            #expect(
                try await ProgramKeywords.states(phone, program: "reminders", client)
                    == ["pending/sms_keyword", "revoked/-", "pending/sms_keyword"])
        }
    }

    @Test func stopEndsEveryProgramAndAYesAfterItRestoresOnlyTheOneAskedFor() async throws {
        try await ProgramKeywords.withApp { _, client, simulator in
            let phone = "+14155550304"
            _ = try await ProgramKeywords.text("DEALS", from: phone, simulator)
            _ = try await ProgramKeywords.text("YES", from: phone, simulator)
            #expect(try await ProgramKeywords.states(phone, program: "offers", client).last == "active/sms_keyword")

            _ = try await ProgramKeywords.text("STOP", from: phone, simulator)
            #expect(try await ProgramKeywords.states(phone, program: "offers", client).last == "revoked/-")
            _ = try await ProgramKeywords.text("REMIND", from: phone, simulator)
            #expect(
                try await ProgramKeywords.text("YES", from: phone, simulator)?.hasPrefix(
                    "Acme Dental: you're subscribed (reminders).") == true)
            #expect(try await ProgramKeywords.states(phone, program: "reminders", client).last == "active/sms_keyword")
            #expect(
                try await ProgramKeywords.states(phone, program: "offers", client).last == "revoked/-",
                "offers stay ended: the YES was for reminders")
        }
    }

    @Test func aSpanishSpeakerIsAskedInSpanish() async throws {
        try await ProgramKeywords.withApp { application, client, simulator in
            let phone = "+14155550305"
            _ = try await ProgramKeywords.text("hola", from: phone, simulator)
            try await application.database.write { connection in
                try connection.execute("UPDATE contacts SET locale = 'es-MX' WHERE phone_e164 = ?", [.text(phone)])
            }
            #expect(
                try await ProgramKeywords.text("remind", from: phone, simulator)
                    == "Acme Dental: responda SI para recibir los mensajes de Reminders. Recordatorios de Acme Dental. Responda STOP para cancelar."
            )
            #expect(try await ProgramKeywords.ledger(phone, client).last?["locale"] as? String == "es")
            #expect(try await ProgramKeywords.text("Sí", from: phone, simulator)?.contains("se ha suscrito") == true)
            #expect(
                try await ProgramKeywords.text("REMIND", from: phone, simulator)?.hasPrefix(
                    "Acme Dental: ya está suscrito a los mensajes de Reminders.") == true)
        }
    }

    @Test func aTemplateAnswerMayNotBeAProgramKeyword() async throws {
        try await ProgramKeywords.withApp { _, client, _ in
            let refused = try await client.request(
                "POST", "/v1/templates", headers: API.agent,
                body:
                    #"{"name":"nudge","program":"reminders","body":"Hi","replies":[{"answers":["deals"],"outcome":"x"}]}"#
            )
            #expect(refused.status == 422 && API.errorCode(refused) == "reserved_answer")
            #expect(API.errorField(refused) == "replies[0].answers")
        }
    }

    @Test(arguments: [
        ("stop_words: ARRET\n", "ARRET"),
        ("start_words: VAMOS\n", "VAMOS"),
        ("help_words: AIDE\n", "aide"),
    ])
    func aKeywordThatIsAConfiguredComplianceWordStopsTheStart(setting: String, keyword: String) throws {
        let file = """
            \(setting)programs:
              - id: reminders
                name: Reminders
                kind: transactional
                keyword: \(keyword)
                disclosures:
                  en: "Reminders. Reply STOP to cancel."
            """
        let directory = try TemporaryDirectory()
        let path = directory.file("handoff.yaml").path
        try file.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigurationLoader(environment: [:]).load(configPath: path)
            Issue.record("the keyword \(keyword) was accepted")
        } catch {
            #expect(error.message.contains("programs.reminders.keyword"), "\(error.message)")
        }
    }
}
