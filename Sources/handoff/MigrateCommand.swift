import ArgumentParser
import HandoffService

/// `handoff migrate`: apply pending migrations and exit.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations from HANDOFF_MIGRATIONS to HANDOFF_DATABASE and exit."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try loadConfiguration(options).configuration
        do {
            let applied = try await HandoffApplication.migrate(configuration)
            if applied.isEmpty { print("database is up to date") }
            for name in applied { print("applied \(name)") }
        } catch {
            printError("migration failed: \(error)")
            throw ExitCode(1)
        }
    }
}
