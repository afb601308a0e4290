import ArgumentParser
import HandoffService

/// `handoff templates import FILE…`: load template files as drafts.
struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "Message templates: load template files (config/templates/*.yaml) as drafts.",
        subcommands: [Import.self]
    )

    /// `handoff templates import`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Save each template of FILEs as a draft (an admin approves it before it is sent).")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "Template files, e.g. config/templates/*.yaml.") var files: [String]

        func run() async throws {
            let configuration = try loadConfiguration(options).configuration
            let outcomes: [TemplateImport.Outcome]
            do {
                outcomes = try await TemplateImport.run(configuration, files: files)
            } catch {
                printError("templates import failed: \(error)")
                throw ExitCode(1)
            }
            for outcome in outcomes {
                if let id = outcome.draftID {
                    print("\(outcome.name) (\(outcome.locale)): draft \(id)")
                } else {
                    printError(
                        "\(outcome.name) (\(outcome.locale)) in \(outcome.file): \(outcome.refusal ?? "refused")")
                }
            }
            if outcomes.contains(where: { $0.draftID == nil }) { throw ExitCode(1) }
        }
    }
}
