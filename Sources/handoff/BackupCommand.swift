import ArgumentParser
import HandoffService

/// `handoff backup FILE`: an online backup of the database (safe while `handoff serve` runs).
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract:
            "Copy the database to FILE with SQLite's online backup API, while the daemon serves (on PostgreSQL: use pg_dump, as it says)."
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The backup file to create.") var file: String

    func run() throws {
        let configuration = try loadConfiguration(options).configuration
        do {
            try DatabaseBackup.run(configuration, to: file)
            print("backed up \(configuration.databasePath) to \(file)")
        } catch {
            printError("backup failed: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `handoff restore FILE`: put a backup in place of the database (the daemon must be stopped).
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the database with a backup made by `handoff backup` (stop the daemon first).",
        discussion: """
            The backup is checked before anything changes; the database it replaces is kept beside \
            it as <database>.before-restore-<time>. Start the daemon afterwards: it applies any newer \
            migrations.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The backup file.") var file: String

    func run() throws {
        let configuration = try loadConfiguration(options).configuration
        do {
            let aside = try DatabaseBackup.restore(configuration, from: file)
            print("restored \(file) to \(configuration.databasePath)")
            if let aside { print("the previous database is kept as \(aside)") }
        } catch {
            printError("restore failed: \(error)")
            throw ExitCode(1)
        }
    }
}
