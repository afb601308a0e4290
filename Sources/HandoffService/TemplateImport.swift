import Foundation
import HandoffCore
import HandoffDomain
import Yams

/// `handoff templates import FILE…`: saves the templates of template files (the starters in
/// `config/templates/*.yaml`, or a business's own) as drafts, each checked as `POST /v1/templates`
/// checks it. Nothing is approved here: an admin approves each draft (`POST
/// /v1/templates/{id}/approve`) before it can be sent.
public enum TemplateImport {
    /// What became of one template of a file.
    public struct Outcome: Sendable, Equatable {
        public let file: String
        public let name: String
        public let locale: String
        /// The new draft's id, or nil when it was refused.
        public let draftID: String?
        /// Why it was refused (the API's message, naming the field), or nil.
        public let refusal: String?
    }

    /// Reads every file first (one that is not a template file stops the import before anything
    /// is saved), then saves each template as a draft.
    public static func run(_ configuration: Configuration, files: [String]) async throws -> [Outcome] {
        var definitions: [(file: String, template: TemplateDefinition)] = []
        for file in files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw HandoffServiceError(code: "template_file_unreadable", message: "\(file) cannot be read")
            }
            do {
                definitions += try YAMLDecoder().decode(TemplateFile.self, from: text).templates.map { (file, $0) }
            } catch {
                throw HandoffServiceError(
                    code: "template_file_invalid", message: "\(file) is not a template file: \(error)")
            }
        }
        let setup = try DatabaseSetup.open(configuration, daemon: false, sqliteReaders: 1)
        guard try await setup.database.read({ [migrator = setup.migrator] in migrator.isUpToDate($0) }) else {
            await setup.close()
            throw HandoffServiceError(
                code: "database_not_migrated", message: "the database is not migrated: run `handoff migrate` first")
        }
        let templates = TemplateService(
            database: setup.database, settings: configuration.templateSettings)
        var outcomes: [Outcome] = []
        for (file, template) in definitions {
            do {
                let saved = try await templates.create(template, clientKey: nil).template
                outcomes.append(
                    Outcome(file: file, name: template.name, locale: template.locale, draftID: saved.id, refusal: nil))
            } catch let refusal as UseCaseError {
                let field = refusal.field.map { " (\($0))" } ?? ""
                outcomes.append(
                    Outcome(
                        file: file, name: template.name, locale: template.locale, draftID: nil,
                        refusal: refusal.message + field))
            }
        }
        await setup.close()
        return outcomes
    }
}
