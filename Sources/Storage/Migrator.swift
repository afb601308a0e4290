import Crypto
public import DatabaseDriver
import Foundation
import HandoffCore

/// Applies the plain-SQL migrations of a folder (`0001_init.sql`, `0002_chat.sql`, ...) in order,
/// each in its own transaction, and records each in `schema_migrations` with its SHA-256.
///
/// Driver-neutral: it runs each file as a script through `Connection`, so a driver reads the
/// folder written in its own SQL (`migrations/` for SQLite; another folder for another
/// database) and hands the migrator a connection from `Database.withWriter`.
///
/// Refuses to run when an applied migration's file was edited or removed, when the database is
/// newer than the files, or when file names are malformed or share a version: a schema must
/// never drift silently.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        /// SHA-256 of the file's bytes, hex.
        public let checksum: String
    }

    public let migrations: [Migration]

    /// Reads the migrations in `directory`.
    public init(directory: String) throws(StorageError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
        } catch {
            throw StorageError(kind: .migration(.unreadable), message: "cannot list \(directory): \(error)")
        }
        var migrations: [Migration] = []
        for name in names {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0,
                stem[..<underscore].allSatisfy(\.isASCIIDigitCharacter)
            else {
                throw StorageError(
                    kind: .migration(.badName), message: "\(name) is not named NNNN_description.sql")
            }
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw StorageError(kind: .migration(.unreadable), message: "cannot read \(name) as UTF-8")
            }
            let checksum = SHA256.hash(data: data).hexString
            migrations.append(Migration(version: version, name: name, sql: sql, checksum: checksum))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw StorageError(
                kind: .migration(.duplicateVersion), message: "\(previous.name) and \(next.name) share a version")
        }
        self.migrations = migrations
    }

    /// Applies every pending migration; returns those applied now.
    @discardableResult
    public func migrate(_ connection: any Connection) throws -> [Migration] {
        let pending = try self.pending(connection)
        for migration in pending {
            do {
                try connection.transaction {
                    try connection.execute(migration.sql)
                    try connection.execute(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                        [
                            .int(migration.version), .text(migration.name), .text(migration.checksum),
                            .text(ISO8601DateFormatter().string(from: Date())),
                        ])
                }
            } catch let error as StorageError {
                throw StorageError(
                    kind: .migration(.failed), message: "\(migration.name) failed: \(error.message)",
                    driverCode: error.driverCode, sql: error.sql)
            }
        }
        return pending
    }

    /// The migrations not yet applied, after checking that the applied ones still match their files.
    public func pending(_ connection: any Connection) throws -> [Migration] {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)
            """)
        return try unapplied(connection)
    }

    /// True when every migration is applied and none changed: the database is ready. Creates
    /// nothing, so it runs in a read-only transaction (a database without schema_migrations is
    /// not ready).
    public func isUpToDate(_ connection: any Connection) -> Bool {
        (try? unapplied(connection).isEmpty) ?? false
    }

    /// `pending` once schema_migrations exists.
    private func unapplied(_ connection: any Connection) throws -> [Migration] {
        let applied = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var appliedVersions: Set<Int> = []
        for row in applied {
            let version: Int = try row.get("version")
            let name: String = try row.get("name")
            appliedVersions.insert(version)
            guard let file = byVersion[version] else {
                if version > (migrations.last?.version ?? 0) {
                    throw StorageError(
                        kind: .migration(.databaseNewer),
                        message: "the database has migration \(name), newer than these files: run a newer handoff")
                }
                throw StorageError(
                    kind: .migration(.missing), message: "applied migration \(name) has no file any more")
            }
            guard try file.checksum == row.get("checksum", as: String.self) else {
                throw StorageError(
                    kind: .migration(.checksumMismatch),
                    message: "\(file.name) was edited after it was applied; add a new migration instead")
            }
        }
        return migrations.filter { !appliedVersions.contains($0.version) }
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
