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

/// `handoff migrate-to-postgres --from FILE`: move a SQLite database into PostgreSQL.
struct MigrateToPostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-to-postgres",
        abstract: "Copy a SQLite database (--from FILE) into the empty PostgreSQL database HANDOFF_DATABASE names.",
        discussion: """
            Stop the daemon serving the SQLite file first. PostgreSQL is migrated, then every row is \
            copied in one transaction, checked by row counts and the consent ledger's contents before \
            it commits: on any difference nothing is kept. Then start the nodes on PostgreSQL.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("from"), help: "The SQLite database file to move.") var source: String

    func run() async throws {
        let configuration = try loadConfiguration(options).configuration
        do {
            let report = try await PostgresTransfer.run(configuration, from: source)
            for (table, rows) in report.tables { print("\(table): \(rows) rows") }
            print("moved \(source) to \(configuration.databaseBackend)")
        } catch {
            printError("migrate-to-postgres failed: \(error)")
            throw ExitCode(1)
        }
    }
}
