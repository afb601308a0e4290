import Foundation
import Postgres
import SQLite
import Storage
import TestSupport
import Testing

/// migrations/postgres/ means the same as migrations/: same numbers, same tables and views and their columns,
/// the same unique keys, and the ledgers refuse what SQLite's triggers refuse.
@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresSchemaTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let sqliteMigrations = repositoryRoot.appendingPathComponent("migrations")
    static let postgresMigrations = sqliteMigrations.appendingPathComponent("postgres")

    @Test func everyMigrationHasItsTwinOfTheSameNumber() throws {
        let sqlite = try Migrator(directory: Self.sqliteMigrations.path).migrations.map(\.name)
        let postgres = try Migrator(directory: Self.postgresMigrations.path).migrations.map(\.name)
        #expect(sqlite == postgres)
    }

    @Test func tablesColumnsAndUniqueKeysMatchSQLite() async throws {
        let sqlite = try Self.sqliteSchema()
        let postgres = try await ScratchDatabase.with { database in
            try await database.connection.withSession { session in
                for file in try Self.files() { try session.transaction { try $0.executeScript(file.sql) } }
            }
            return try await Self.postgresSchema(database.connection)
        }
        #expect(Set(postgres.columns.keys) == Set(sqlite.columns.keys))
        for (table, columns) in sqlite.columns { #expect(postgres.columns[table] == columns, "\(table)") }
        #expect(postgres.uniqueKeys == sqlite.uniqueKeys)
    }

    @Test func theLedgersRefuseChangesAndTheAnswerTriggersRun() async throws {
        try await ScratchDatabase.with { database in try await Self.checkLedgersAndTriggers(database.connection) }
    }

    static func checkLedgersAndTriggers(_ connection: PostgresConnection) async throws {
        try await connection.withSession { session in
            for file in try Self.files() { try session.transaction { try $0.executeScript(file.sql) } }
        }
        try await connection.execute(
            "INSERT INTO consents (phone_e164, program, event, method, created_at) VALUES ($1, 'p', 'opt_out', 'web', 1)",
            ["+15550100"])
        try await connection.execute(
            "INSERT INTO suppression_changes (phone_e164, action, reason, actor, created_at) VALUES ($1, 'added', 'r', 'cli', 1)",
            ["+15550100"])
        for refused in [
            "UPDATE consents SET method = 'api'", "DELETE FROM consents", "TRUNCATE consents",
            "DELETE FROM suppression_changes", "TRUNCATE suppression_changes",
        ] {
            let error = try await #require(throws: PostgresError.self, "\(refused)") {
                try await connection.execute(refused)
            }
            #expect(error.kind == .constraint && error.message.contains("append-only"), "\(refused)")
        }
        let kept = try await connection.execute(
            "SELECT (SELECT count(*) FROM consents) + (SELECT count(*) FROM suppression_changes) AS n")
        #expect(try kept.rows[0].get(kept.column("n"), as: Int.self) == 2)

        // A visitor's message starts the wait; an agent's ends it.
        try await connection.execute("INSERT INTO contacts (id, created_at) VALUES ('k', 1)")
        try await connection.execute(
            "INSERT INTO conversations (id, contact_id, state, created_at, updated_at) VALUES ('c', 'k', 'open', 1, 1)")
        func waitingSince() async throws -> Int? {
            let result = try await connection.execute("SELECT awaiting_reply_since FROM conversations WHERE id = 'c'")
            return try result.rows[0].get(result.column("awaiting_reply_since"), as: Int?.self)
        }
        let message = """
            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at, updated_at)
            VALUES ($1, 'c', 'inbound', 'web', $2, 'hi', 'received', $3, $3)
            """
        try await connection.execute(message, ["m1", "visitor", .integer(1_000)])
        try await connection.execute(message, ["m2", "visitor", .integer(2_000)])
        #expect(try await waitingSince() == 1_000)
        try await connection.execute(message, ["m3", "agent", .integer(3_000)])
        #expect(try await waitingSince() == nil)
    }

    struct UniqueKey: Hashable, CustomStringConvertible {
        let table: String
        let columns: [String]
        let partial: Bool
        var description: String { "\(table)(\(columns.joined(separator: ", ")))\(partial ? " WHERE" : "")" }
    }

    struct Schema {
        var columns: [String: Set<String>] = [:]
        var uniqueKeys: Set<UniqueKey> = []
    }

    static func files() throws -> [Migrator.Migration] {
        try Migrator(directory: postgresMigrations.path).migrations
    }

    static func sqliteSchema() throws -> Schema {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let connection = try SQLiteConnection(path: directory.appendingPathComponent("db.sqlite").path)
        try Migrator(directory: sqliteMigrations.path).migrate(connection)
        var schema = Schema()
        func names(_ sql: String, _ value: String? = nil) throws -> [String] {
            try connection.query(sql, value.map { [.text($0)] } ?? []).map { try $0.get("name") }
        }
        let tables = try names(
            """
            SELECT name FROM sqlite_master
            WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'
            """
        )
        for table in tables {
            schema.columns[table] = Set(try names("SELECT name FROM pragma_table_info(?)", table))
            for index in try connection.query(
                "SELECT name, partial FROM pragma_index_list(?) WHERE \"unique\" = 1", [.text(table)])
            {
                let columns = try names("SELECT name FROM pragma_index_info(?) ORDER BY seqno", index.get("name"))
                schema.uniqueKeys.insert(
                    UniqueKey(table: table, columns: columns, partial: try index.get("partial", as: Bool.self)))
            }
            // An INTEGER PRIMARY KEY is the rowid: no index lists it.
            let rowidKey = try names(
                "SELECT name FROM pragma_table_info(?) WHERE pk = 1 AND upper(type) = 'INTEGER'", table)
            if let column = rowidKey.first {
                schema.uniqueKeys.insert(UniqueKey(table: table, columns: [column], partial: false))
            }
        }
        return schema
    }

    static func postgresSchema(_ connection: PostgresConnection) async throws -> Schema {
        var schema = Schema()
        let columns = try await connection.execute(
            """
            SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
            """)
        let (table, column) = try (columns.column("t"), columns.column("c"))
        for row in columns.rows {
            schema.columns[try row.get(table, as: String.self), default: []].insert(
                try row.get(column, as: String.self))
        }
        let keys = try await connection.execute(
            """
            SELECT t.relname::text AS t, i.indpred IS NOT NULL AS partial,
                array_to_string(array(
                    SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',') AS c
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace
            WHERE i.indisunique AND s.nspname = 'public' AND t.relname <> 'schema_migrations'
            """)
        let (keyTable, partial, keyColumns) = try (keys.column("t"), keys.column("partial"), keys.column("c"))
        for row in keys.rows {
            schema.uniqueKeys.insert(
                UniqueKey(
                    table: try row.get(keyTable, as: String.self),
                    columns: try row.get(keyColumns, as: String.self).split(separator: ",").map(String.init),
                    partial: try row.get(partial, as: Bool.self)))
        }
        return schema
    }
}
