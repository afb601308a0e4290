import DatabaseDriver
import Foundation
import SQLite
import Storage

/// `handoff migrate-to-postgres --from FILE`: moves a SQLite database (the embedded default) into
/// the configured PostgreSQL database, once, while nothing serves either.
///
/// The SQLite file is locked against a daemon and must be fully migrated; PostgreSQL is migrated
/// to the same schema and must hold no data yet. Every row is copied in one PostgreSQL
/// transaction, parents before children (foreign keys stay checked), ids kept as they are, and
/// identity sequences (and the base of the event ids) moved past them. The installation's identity comes along. The triggers that
/// derive state from new rows (the answer deadline's) are off during the copy, since the derived
/// state is copied too. Before COMMIT every table's row count and the whole consent ledger are
/// compared with the source: any difference rolls everything back.
public enum PostgresTransfer {
    /// Rows copied, per table, in copy order.
    public struct Report: Sendable {
        public var tables: [(name: String, rows: Int)]
    }

    /// Rows read from SQLite and inserted per round.
    static let pageSize = 500

    /// Copies the SQLite database at `sourcePath` into `configuration`'s PostgreSQL database.
    public static func run(_ configuration: Configuration, from sourcePath: String) async throws -> Report {
        guard configuration.databaseBackend.isPostgres else {
            throw HandoffServiceError(
                code: "target_not_postgres",
                message: "HANDOFF_DATABASE must be the PostgreSQL URI to move into (postgresql://...)")
        }
        guard FileManager.default.fileExists(atPath: sourcePath) else {
            throw HandoffServiceError(code: "source_missing", message: "\(sourcePath) does not exist")
        }
        let lock: DatabaseLock
        do {
            lock = try DatabaseLock(databasePath: sourcePath)
        } catch {
            throw HandoffServiceError(
                code: "source_in_use", message: "\(sourcePath) is in use: stop the handoff daemon serving it first")
        }
        defer { lock.release() }
        let sqliteMigrator = try Migrator(directory: configuration.migrationsDirectory)
        guard sqliteMigrator.isUpToDate(try SQLiteConnection(path: sourcePath, readOnly: true)) else {
            throw HandoffServiceError(
                code: "source_not_migrated",
                message: "\(sourcePath) is not at this version's schema: run `handoff migrate` on it first")
        }
        let setup = try DatabaseSetup.open(configuration, daemon: false)
        do {
            _ = try await setup.migrate()
            let report = try await setup.database.withWriter { target in
                let source = try SQLiteConnection(path: sourcePath, readOnly: true)
                return try source.transaction(.deferred) {
                    try target.transaction { try copy(from: source, to: target) }
                }
            }
            await setup.close()
            return report
        } catch {
            await setup.close()
            throw error
        }
    }

    /// The copy itself, inside a read transaction on `source` and a write transaction on `target`.
    static func copy(from source: SQLiteConnection, to target: any Connection) throws -> Report {
        let tables = try tablesInCopyOrder(source)
        for table in tables where table != "installation" {
            let rows: Int64 = try target.queryOne("SELECT COUNT(*) AS n FROM \(quoted(table))")?.get("n") ?? 0
            guard rows == 0 else {
                throw HandoffServiceError(
                    code: "target_not_empty",
                    message:
                        "the PostgreSQL database already holds data (\(rows) rows in \(table)): move into an empty one")
            }
        }
        let triggered = try tablesWithTriggers(target).filter(tables.contains)
        for table in triggered { try target.execute("ALTER TABLE \(quoted(table)) DISABLE TRIGGER USER") }
        var report = Report(tables: [])
        for table in tables {
            if table == "installation" { try target.execute("DELETE FROM installation") }
            report.tables.append((table, try copyRows(of: table, from: source, to: target)))
        }
        for table in triggered { try target.execute("ALTER TABLE \(quoted(table)) ENABLE TRIGGER USER") }
        try moveIdentitiesPastCopiedIDs(target)
        try moveEventIDsPastCopiedOnes(target)
        try verify(report, source: source, target: target)
        return report
    }

    /// The source's tables, each after the tables its foreign keys point to.
    static func tablesInCopyOrder(_ source: SQLiteConnection) throws -> [String] {
        let names = try source.query(
            """
            SELECT name FROM sqlite_master
            WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'
            ORDER BY name
            """
        ).map { try $0.get("name", as: String.self) }
        var parents: [String: Set<String>] = [:]
        for name in names {
            parents[name] = Set(
                try source.query("SELECT \"table\" AS parent FROM pragma_foreign_key_list(?)", [.text(name)])
                    .map { try $0.get("parent", as: String.self) }
            ).subtracting([name])
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < names.count {
            let ready = names.filter { !placed.contains($0) && parents[$0, default: []].isSubset(of: placed) }
            guard !ready.isEmpty else {
                throw HandoffServiceError(code: "foreign_key_cycle", message: "the tables' foreign keys form a cycle")
            }
            ordered += ready
            placed.formUnion(ready)
        }
        return ordered
    }

    /// Copies `table` page by page (by rowid); returns the rows copied.
    private static func copyRows(of table: String, from source: SQLiteConnection, to target: any Connection) throws
        -> Int
    {
        let columns = try source.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(table)])
            .map { try $0.get("name", as: String.self) }
        let columnList = columns.map(quoted).joined(separator: ", ")
        let insert = """
            INSERT INTO \(quoted(table)) (\(columnList)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
            """
        let page = """
            SELECT rowid AS transfer_rowid, \(columnList) FROM \(quoted(table))
            WHERE rowid > ? ORDER BY rowid LIMIT \(pageSize)
            """
        var copied = 0
        var after: Int64 = .min
        while true {
            let rows = try source.query(page, [.integer(after)])
            for row in rows { try target.execute(insert, Array(row.values.dropFirst())) }
            copied += rows.count
            guard rows.count == pageSize, let last = rows.last, case .integer(let rowid) = last[0] else { break }
            after = rowid
        }
        return copied
    }

    /// The target's tables that have triggers of their own (not those of foreign keys).
    private static func tablesWithTriggers(_ target: any Connection) throws -> [String] {
        try target.query(
            """
            SELECT DISTINCT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
            ORDER BY name
            """
        ).map { try $0.get("name", as: String.self) }
    }

    /// Sets every identity column's sequence past the largest id copied into it.
    private static func moveIdentitiesPastCopiedIDs(_ target: any Connection) throws {
        let identities = try target.query(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_identity = 'YES'
            """)
        for identity in identities {
            let table: String = try identity.get("table_name")
            let column: String = try identity.get("column_name")
            _ = try target.query(
                """
                SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(\(quoted(column))), 0) + 1, false)
                FROM \(quoted(table))
                """, [.text(quoted(table)), .text(column)])
        }
    }

    /// Moves the base of the event ids (migrations/postgres/0016) past the copied events' ids, so
    /// that every event written from now on comes after them (a stream resumes with an old id).
    private static func moveEventIDsPastCopiedOnes(_ target: any Connection) throws {
        _ = try target.query(
            """
            SELECT setval('conversation_event_id_base',
                GREATEST(last_value, (SELECT COALESCE(MAX(seq), 0) + 1 FROM conversation_events)))
            FROM conversation_event_id_base
            """)
    }

    /// Refuses the copy unless every table has as many rows as in the source and the consent
    /// ledger is the same, row for row.
    private static func verify(_ report: Report, source: SQLiteConnection, target: any Connection) throws {
        for (table, copied) in report.tables {
            let inSource: Int64 = try source.queryOne("SELECT COUNT(*) AS n FROM \(quoted(table))")?.get("n") ?? -1
            let inTarget: Int64 = try target.queryOne("SELECT COUNT(*) AS n FROM \(quoted(table))")?.get("n") ?? -1
            guard inSource == inTarget, inTarget == copied else {
                throw HandoffServiceError(
                    code: "transfer_mismatch",
                    message: "\(table): \(inSource) rows in SQLite, \(inTarget) in PostgreSQL; nothing was kept")
            }
        }
        let columns = try source.query("SELECT name, pk FROM pragma_table_info('consents') ORDER BY cid")
        let names = try columns.map { quoted(try $0.get("name", as: String.self)) }
        let key = try zip(names, columns).filter { try $1.get("pk", as: Int64.self) > 0 }.map(\.0)
        let ledger = "SELECT \(names.joined(separator: ", ")) FROM consents ORDER BY \(key.joined(separator: ", "))"
        guard try source.query(ledger).map(\.values) == target.query(ledger).map(\.values) else {
            throw HandoffServiceError(
                code: "transfer_mismatch", message: "the consent ledger differs after the copy; nothing was kept")
        }
    }

    private static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
