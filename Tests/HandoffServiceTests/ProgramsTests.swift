import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Programs from the configuration (`programs:`), listed by the API and named by a handoff.
@Suite struct ProgramsTests {
    static let programsYAML = """
        programs:
          - id: reminders
            name: Appointment reminders
            kind: transactional
            keyword: remind
            daily_cap: 3
            disclosures:
              en: "{{brand}} appointment reminders. Msg frequency varies. Reply HELP for help, STOP to cancel."
              es: "Recordatorios de citas de {{brand}}. Responde STOP para cancelar."
        """

    private func load(_ file: String) throws -> Configuration {
        let directory = try TemporaryDirectory()
        let path = directory.file("handoff.yaml").path
        try file.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigurationLoader(environment: [:]).load(configPath: path).configuration
    }

    @Test func theConfigFileListsPrograms() throws {
        let configuration = try load(Self.programsYAML)
        let reminders = try #require(configuration.programs.program("reminders"))
        #expect(reminders.kind == .transactional && reminders.keyword == "REMIND" && reminders.dailyCap == 3)
        #expect(configuration.programs.programs.map(\.id) == ["chat", "reminders"])
        #expect(try load("brand_name: Acme\n").programs == ProgramCatalog())
    }

    @Test func theEnvironmentCanListProgramsAsJSON() throws {
        let json =
            #"[{"id":"orders","name":"Order updates","kind":"transactional","disclosures":{"en":"Order texts. STOP to end."}}]"#
        let loaded = try ConfigurationLoader(environment: ["HANDOFF_PROGRAMS": json]).load(configPath: nil)
        #expect(loaded.configuration.programs.programs.map(\.id) == ["chat", "orders"])
    }

    @Test func aBadProgramStopsTheStartNamingIt() throws {
        let bad = Self.programsYAML.replacingOccurrences(of: "keyword: remind", with: "keyword: stop")
        do {
            _ = try load(bad)
            Issue.record("a program keyword STOP was accepted")
        } catch let error as HandoffServiceError {
            #expect(error.message.contains("programs[0].keyword"), "\(error.message)")
        }
    }

    @Test func theAPIListsProgramsAndAHandoffNamesOne() async throws {
        let programs = try load(Self.programsYAML).programs
        try await TestApplication.inProcess({ $0.programs = programs }) { _, client, simulator in
            let unauthorized = try await client.request("GET", "/v1/programs")
            #expect(unauthorized.status == 401)
            let listed = try await client.request("GET", "/v1/programs", headers: API.agent)
            #expect(listed.status == 200)
            let entries = try #require(listed.json?["programs"] as? [[String: Any]])
            #expect(entries.compactMap { $0["id"] as? String } == ["chat", "reminders"])
            #expect(entries.last?["kind"] as? String == "transactional")
            #expect(entries.last?["daily_cap"] as? Int == 3)
            #expect((entries.last?["disclosures"] as? [String: String])?["es"]?.contains("STOP") == true)

            let widget = try await client.request(
                "POST", "/v1/sessions", headers: [("Accept-Language", "es")] + API.jsonContent,
                body: #"{"program":"reminders"}"#)
            #expect(widget.status == 201)
            #expect((widget.json?["consent_text"] as? String)?.hasPrefix("Recordatorios de citas de ") == true)
            let unknownProgram = try await client.request(
                "POST", "/v1/sessions", headers: API.jsonContent, body: #"{"program":"nope"}"#)
            #expect((unknownProgram.json?["consent_text"] as? String)?.contains("this conversation") == true)

            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Accept-Language", "es-MX,es;q=0.9")] + API.jsonContent
            let requested = try await client.request(
                "POST", "/v1/handoff", headers: headers,
                body: #"{"phone":"+14155550163","consent":true,"program":"reminders"}"#)
            #expect(requested.status == 202)
            let ledger = try await client.request(
                "GET", "/v1/contacts/%2B14155550163/consents", headers: API.agent)
            let consents = try #require(ledger.json?["consents"] as? [[String: Any]])
            #expect(consents.count == 1)
            #expect(consents.first?["program"] as? String == "reminders")
            let disclosure = consents.first?["disclosure_text"] as? String
            #expect(disclosure?.hasPrefix("Recordatorios de citas de") == true, "\(disclosure ?? "none")")
            #expect(try await eventually { !simulator.inbox(of: "+14155550163").isEmpty })

            let unknown = try await client.request(
                "POST", "/v1/handoff", headers: headers,
                body: #"{"phone":"+14155550164","consent":true,"program":"marketing_blast"}"#)
            #expect(unknown.status == 422)
            #expect(API.errorCode(unknown) == "unknown_program")
        }
    }
}
