import DatabaseDriver
import Logging
import Postgres
import SQLite
import Storage

/// The configured database, opened for this process: a SQLite file (held with its process lock,
/// so no second daemon or restore runs on it) or a pool of connections to PostgreSQL (any
/// number of nodes share it), and the migrations written for that backend.
struct DatabaseSetup: Sendable {
    let database: any Database
    let migrator: Migrator
    /// SQLite: held while the process uses the file.
    let lock: DatabaseLock?
    /// PostgreSQL: the node's connections.
    let pool: PostgresPool?

    /// Opens the database of `configuration`; `daemon` takes SQLite's process lock (the command
    /// line's tools run beside a daemon without it). PostgreSQL connects on first use, so a server
    /// that is down does not stop this: writes and reads fail as `unavailable` until it is back.
    /// On PostgreSQL, each write conflict (and what the write did next) is logged at debug level
    /// on `logger`, with the server's reason and the statement refused.
    static func open(
        _ configuration: Configuration, daemon: Bool, sqliteReaders: Int? = nil,
        writeContext: @escaping @Sendable () -> (any WriteContext)? = { nil }, logger: Logger? = nil
    ) throws -> DatabaseSetup {
        let backend = configuration.databaseBackend
        let migrator = try Migrator(directory: backend.migrations(in: configuration.migrationsDirectory))
        switch backend {
        case .sqlite(let path):
            let lock = daemon ? try DatabaseLock(databasePath: path) : nil
            do {
                let database = try SQLiteDatabase(
                    path: path, readers: sqliteReaders ?? configuration.databaseReaders,
                    synchronous: configuration.databaseSynchronous == .full ? .full : .normal,
                    writeContext: writeContext)
                return DatabaseSetup(database: database, migrator: migrator, lock: lock, pool: nil)
            } catch {
                lock?.release()
                throw error
            }
        case .postgres(let uri):
            let pool = PostgresPool(uri: uri, size: configuration.databasePool)
            // Writes order themselves by a lock on schema_migrations (see `PostgresDatabase`): every
            // migrated database has it, and only the migrator writes it.
            let database = PostgresDatabase(
                pool: pool, writeContext: writeContext, writeGate: "schema_migrations",
                conflicts: { conflict in logger?.debug("database write conflict", metadata: conflict.metadata) })
            return DatabaseSetup(database: database, migrator: migrator, lock: nil, pool: pool)
        }
    }

    /// Applies the pending migrations; returns the names of those applied.
    func migrate() async throws -> [String] {
        try await database.withWriter { [migrator] in try migrator.migrate($0) }.map(\.name)
    }

    /// Closes the pool and releases the lock.
    func close() async {
        await pool?.close()
        lock?.release()
    }
}

extension PostgresWriteConflict {
    /// The attempt, the SQLSTATE, the server's reason (its DETAIL: a reason code, never a row's
    /// values), the statement refused and what the write does next.
    fileprivate var metadata: Logger.Metadata {
        [
            "attempt": "\(attempt)", "sqlstate": "\(error.sqlState ?? "-")",
            "reason": "\(error.detail ?? error.message)",
            "statement": "\(error.sql.map { String($0.prefix(120)) } ?? "-")", "next": "\(next.rawValue)",
        ]
    }
}
