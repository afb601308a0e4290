import HandoffCore
import Testing

@Suite struct ProgramCatalogTests {
    static let reminders = Program(
        id: "reminders", name: "Appointment reminders", kind: .transactional, keyword: "REMIND", dailyCap: 3,
        disclosures: [
            "en": "{{brand}} appointment reminders. Msg frequency varies. Reply HELP for help, STOP to cancel.",
            "es": "Recordatorios de {{brand}}. Responde STOP para cancelar.",
        ])

    @Test func chatIsAlwaysThereAndFirst() throws {
        #expect(ProgramCatalog().programs.map(\.id) == ["chat"])
        let catalog = try ProgramCatalog([Self.reminders])
        #expect(catalog.programs.map(\.id) == ["chat", "reminders"])
        #expect(catalog.program("chat")?.kind == .conversational)
        #expect(catalog.program("nope") == nil)
    }

    @Test func findsAProgramByItsKeyword() throws {
        let catalog = try ProgramCatalog([Self.reminders])
        #expect(catalog.program(keyword: " remind! ")?.id == "reminders")
        #expect(catalog.program(keyword: "remind me") == nil)
    }

    @Test func keywordsAreUppercasedAndCheckedAgainstConfiguredComplianceWords() throws {
        let lower = Program(
            id: "alerts", name: "A", kind: .conversational, keyword: "remind")
        let catalog = try ProgramCatalog([lower])
        #expect(catalog.program(keyword: "REMIND")?.id == "alerts")
        #expect(throws: HandoffCoreError.self) { try ProgramCatalog([lower, Self.reminders]) }
        try catalog.checkKeywords(against: Keyword.Vocabulary(optOutWords: ["BAJA"]))
        do {
            try catalog.checkKeywords(against: Keyword.Vocabulary(helpWords: ["remind"]))
            Issue.record("REMIND was accepted as a keyword while it is a help word")
        } catch {
            #expect(error.field == "programs.alerts.keyword")
        }
    }

    @Test func picksTheDisclosureForTheLocale() {
        #expect(Self.reminders.disclosure(locale: "es-MX")?.hasPrefix("Recordatorios") == true)
        #expect(Self.reminders.disclosure(locale: "de")?.hasPrefix("{{brand}} appointment") == true)
        #expect(Self.reminders.disclosure(locale: nil)?.hasPrefix("{{brand}} appointment") == true)
        #expect(Program(id: "x", name: "X", kind: .conversational).disclosure(locale: "en") == nil)
    }

    @Test(arguments: [
        ([Program(id: "Reminders", name: "R", kind: .conversational)], "programs[0].id"),
        ([Program(id: "alerts", name: "", kind: .conversational)], "programs[0].name"),
        ([ProgramCatalogTests.reminders, ProgramCatalogTests.reminders], "programs[1].keyword"),
        (
            [
                ProgramCatalogTests.reminders,
                Program(id: "reminders", name: "Again", kind: .conversational),
            ], "programs[1].id"
        ),
        ([Program(id: "alerts", name: "A", kind: .conversational, keyword: "STOP")], "programs[0].keyword"),
        ([Program(id: "alerts", name: "A", kind: .conversational, keyword: "help")], "programs[0].keyword"),
        ([Program(id: "alerts", name: "A", kind: .conversational, keyword: "Alto")], "programs[0].keyword"),
        ([Program(id: "alerts", name: "A", kind: .conversational, keyword: "SI")], "programs[0].keyword"),
        ([Program(id: "alerts", name: "A", kind: .conversational, keyword: "TWO WORDS")], "programs[0].keyword"),
        ([Program(id: "alerts", name: "A", kind: .conversational, dailyCap: 0)], "programs[0].daily_cap"),
        ([Program(id: "offers", name: "O", kind: .marketing)], "programs[0].disclosures"),
        (
            [Program(id: "offers", name: "O", kind: .marketing, disclosures: ["en": "Deals from {{brand}}."])],
            "programs[0].disclosures.en"
        ),
        (
            [Program(id: "offers", name: "O", kind: .conversational, disclosures: ["en": "Hi {{name}}"])],
            "programs[0].disclosures.en"
        ),
        (
            [Program(id: "chat", name: "Chat", kind: .marketing, disclosures: ["en": "Deals. STOP to end."])],
            "programs[0]"
        ),
    ])
    func refusesBadPrograms(programs: [Program], field: String) {
        do {
            _ = try ProgramCatalog(programs)
            Issue.record("accepted \(programs.map(\.id))")
        } catch {
            #expect(error.code == "invalid_program")
            #expect(error.field == field)
        }
    }

    @Test func aConfiguredChatRenamesTheBuiltInOne() throws {
        let catalog = try ProgramCatalog([
            Program(id: "chat", name: "Live chat", kind: .conversational, disclosures: ["en": "Texts from {{brand}}."])
        ])
        #expect(catalog.programs.map(\.id) == ["chat"])
        #expect(catalog.program("chat")?.name == "Live chat")
    }
}
