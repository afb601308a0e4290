import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// `handoff templates import FILE…`: the starter templates load as drafts, each checked as the API
/// checks it; a template the deployment cannot take is refused with the API's reason.
@Suite struct TemplateImportTests {
    static let starters = TestApplication.repositoryRoot.appendingPathComponent("config/templates")

    static func configuration(in directory: TemporaryDirectory, programs: [Program]) throws -> Configuration {
        var configuration = TestApplication.configuration(in: directory)
        configuration.programs = try ProgramCatalog(programs)
        return configuration
    }

    static let appointments = Program(
        id: "appointments", name: "Appointments", kind: .transactional,
        disclosures: ["en": "{{brand}} appointment texts. Reply STOP to cancel."])

    @Test func theStartersLoadAsDraftsAndOnlyOnce() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try Self.configuration(in: directory, programs: [Self.appointments])
        _ = try await HandoffApplication.migrate(configuration)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.starters.path).filter {
            $0.hasSuffix(".yaml")
        }.sorted().map { Self.starters.appendingPathComponent($0).path }
        #expect(files.count == 5)

        let imported = try await TemplateImport.run(configuration, files: files)
        #expect(imported.count == 10 && imported.allSatisfy { $0.draftID != nil && $0.refusal == nil })
        #expect(Set(imported.map(\.locale)) == ["en", "es"])
        try await TestApplication.inProcess({
            $0 = configuration; $0.apiKeys = [TestApplication.apiKey]
        }) {
            _, client, _ in
            let drafts = try await client.request("GET", "/v1/templates?state=draft&limit=50", headers: API.agent)
            #expect((drafts.json?["templates"] as? [[String: Any]])?.count == 10)
        }

        let again = try await TemplateImport.run(configuration, files: [files[0]])
        #expect(again.count == 2 && again.allSatisfy { $0.draftID == nil && $0.refusal != nil }, "already there")
    }

    @Test func aTemplateForAnUnknownProgramIsRefusedWithTheReason() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try Self.configuration(in: directory, programs: [])
        _ = try await HandoffApplication.migrate(configuration)
        let file = Self.starters.appendingPathComponent("appointment-reminder.yaml").path
        let imported = try await TemplateImport.run(configuration, files: [file])
        #expect(!imported.isEmpty && imported.allSatisfy { $0.draftID == nil })
        #expect(imported.first?.refusal?.contains("(program)") == true)
    }

    @Test func aFileThatIsNotATemplateFileStopsTheImportBeforeAnythingIsSaved() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try Self.configuration(in: directory, programs: [Self.appointments])
        _ = try await HandoffApplication.migrate(configuration)
        let bad = directory.file("bad.yaml")
        try Data("goal: [unclosed".utf8).write(to: bad)
        let good = Self.starters.appendingPathComponent("appointment-reminder.yaml").path
        await #expect(throws: HandoffServiceError.self) {
            try await TemplateImport.run(configuration, files: [good, bad.path])
        }
        let after = try await TemplateImport.run(configuration, files: [good])
        #expect(after.allSatisfy { $0.draftID != nil }, "the first attempt saved nothing")
    }

    @Test func aDatabaseNotMigratedIsRefusedWithTheCommandToRun() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try Self.configuration(in: directory, programs: [Self.appointments])
        let file = Self.starters.appendingPathComponent("appointment-reminder.yaml").path
        await #expect(throws: HandoffServiceError.self) { try await TemplateImport.run(configuration, files: [file]) }
    }
}
