import ArgumentParser
import HandoffService

/// `handoff`: the daemon and its operator commands.
@main
struct HandoffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handoff",
        abstract: "Continue a website chat over SMS.",
        discussion: """
            Settings come from embedded defaults, then the --config YAML file, then HANDOFF_* \
            environment variables (the environment wins). See config/handoff.example.yaml.
            """,
        version: HandoffApplication.version,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, MigrateToPostgresCommand.self, TemplatesCommand.self,
            CheckConfigCommand.self,
            BackupCommand.self, RestoreCommand.self,
            OutboxCommand.self, SuppressionsCommand.self, ContactsCommand.self, ConsentsCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// The `--config FILE` option every subcommand takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML config file (settings can also come from HANDOFF_* variables).")
    var config: String?
}
