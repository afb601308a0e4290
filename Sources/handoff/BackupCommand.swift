import ArgumentParser
import HandoffService

/// `handoff backup FILE`: an online backup of the database (safe while `handoff serve` runs).
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to FILE with SQLite's online backup API, while the daemon serves.",
        discussion: """
            To restore: stop the daemon, move the database file (and its -wal and -shm files) aside, \
            copy FILE to HANDOFF_DATABASE, start the daemon.
            """
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
