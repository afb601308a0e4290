import DatabaseDriver
import Foundation
import SQLite
import Storage

/// `handoff backup FILE` (a consistent copy while the daemon keeps serving) and `handoff restore
/// FILE` (puts a backup in place of the configured database while the daemon is stopped).
public enum DatabaseBackup {
    /// Writes the backup to `path` (which must not exist yet) and checks it opens and is migrated.
    public static func run(_ configuration: Configuration, to path: String) throws {
        try refuseOnPostgres(configuration)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw HandoffServiceError(code: "backup_exists", message: "\(path) already exists; choose a new file")
        }
        let source = try SQLiteConnection(path: configuration.databasePath)
        try source.backup(to: path)
        let copy = try SQLiteConnection(path: path, readOnly: true)
        let migrator = try Migrator(directory: configuration.migrationsDirectory)
        guard migrator.isUpToDate(copy) else {
            throw HandoffServiceError(code: "backup_incomplete", message: "the backup at \(path) is not fully migrated")
        }
    }

    /// Replaces the configured database with the backup at `path`, refusing while a daemon holds
    /// the database. The backup is copied and checked (integrity, and a schema these migrations
    /// know) before anything is touched; the database it replaces is kept beside it, renamed with
    /// its WAL, and that name is returned (nil when there was none). `handoff serve` then applies
    /// any migration newer than the backup.
    @discardableResult
    public static func restore(_ configuration: Configuration, from path: String) throws -> String? {
        try refuseOnPostgres(configuration)
        guard FileManager.default.fileExists(atPath: path) else {
            throw HandoffServiceError(code: "backup_missing", message: "\(path) does not exist")
        }
        let target = configuration.databasePath
        let lock = try DatabaseLock(databasePath: target)
        defer { lock.release() }
        let staging = target + ".restoring"
        try removeDatabaseFiles(staging)
        try SQLiteConnection(path: path, readOnly: true).backup(to: staging)
        do {
            let copy = try SQLiteConnection(path: staging)
            guard try copy.queryOne("PRAGMA integrity_check")?.get("integrity_check", as: String.self) == "ok" else {
                throw HandoffServiceError(code: "backup_corrupt", message: "\(path) fails SQLite's integrity check")
            }
            _ = try Migrator(directory: configuration.migrationsDirectory).pending(copy)
        } catch {
            try? removeDatabaseFiles(staging)
            throw error
        }
        var asideName: String?
        if FileManager.default.fileExists(atPath: target) {
            let stamp = Int(Date().timeIntervalSince1970)
            let aside = "\(target).before-restore-\(stamp)"
            for suffix in ["-wal", "-shm", ""] where FileManager.default.fileExists(atPath: target + suffix) {
                try FileManager.default.moveItem(atPath: target + suffix, toPath: aside + suffix)
            }
            asideName = aside
        }
        try FileManager.default.moveItem(atPath: staging, toPath: target)
        return asideName
    }

    /// PostgreSQL's own tools (or the provider's backups) copy a PostgreSQL database: this says how.
    private static func refuseOnPostgres(_ configuration: Configuration) throws {
        guard configuration.databaseBackend.isPostgres else { return }
        throw HandoffServiceError(
            code: "backup_postgres",
            message: """
                the database is PostgreSQL: back it up with its own tools while the nodes serve, \
                pg_dump --format=custom --file=FILE "$HANDOFF_DATABASE" (or the provider's backups and \
                point-in-time recovery), and restore with pg_restore --clean --dbname="$HANDOFF_DATABASE" \
                FILE while every node is stopped
                """)
    }

    /// Removes a database file and its WAL and shared-memory companions, if present.
    private static func removeDatabaseFiles(_ path: String) throws {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}
