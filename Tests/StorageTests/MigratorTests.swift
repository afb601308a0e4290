import DatabaseDriver
import Foundation
import SQLite
import Storage
import TestSupport
import Testing

@Suite struct MigratorTests {
    let directory: TemporaryDirectory
    let migrations: URL
    let connection: SQLiteConnection

    init() throws {
        directory = try TemporaryDirectory()
        migrations = directory.file("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        connection = try SQLiteConnection(path: directory.file("db.sqlite").path)
        try write("0001_one.sql", "CREATE TABLE one (id INTEGER);")
        try write("0002_two.sql", "CREATE TABLE two (id INTEGER);")
    }

    func write(_ name: String, _ sql: String) throws {
        try Data(sql.utf8).write(to: migrations.appendingPathComponent(name))
    }

    func migrator() throws -> Migrator { try Migrator(directory: migrations.path) }

    @Test func appliesInOrderOnceAndRecordsChecksums() throws {
        try write("0010_ten.sql", "INSERT INTO two VALUES (10);")
        let applied = try migrator().migrate(connection)
        #expect(applied.map(\.version) == [1, 2, 10])
        #expect(try migrator().migrate(connection).isEmpty)
        #expect(try migrator().isUpToDate(connection))
        let rows = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        #expect(rows.count == 3)
        #expect(try rows.allSatisfy { try $0.get("checksum", as: String.self).count == 64 })
    }

    @Test func refusesAnEditedMigration() throws {
        try migrator().migrate(connection)
        try write("0002_two.sql", "CREATE TABLE two (id INTEGER, more TEXT);")
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.kind == .migration(.checksumMismatch))
        #expect(!(try migrator().isUpToDate(connection)))
    }

    @Test func refusesAMissingMigration() throws {
        try migrator().migrate(connection)
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0001_one.sql"))
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.kind == .migration(.missing))
    }

    @Test func refusesADatabaseNewerThanItsFiles() throws {
        try migrator().migrate(connection)
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0002_two.sql"))
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.kind == .migration(.databaseNewer))
    }

    @Test func refusesBadNamesAndDuplicateVersions() throws {
        try write("0002_again.sql", "SELECT 1;")
        #expect(throws: StorageError.self) { try migrator() }
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0002_again.sql"))
        try write("three.sql", "SELECT 1;")
        let error = try #require(throws: StorageError.self) { try migrator() }
        #expect(error.kind == .migration(.badName))
    }

    @Test func aFailingMigrationLeavesNothingOfItself() throws {
        try write("0003_bad.sql", "CREATE TABLE three (id INTEGER); INSERT INTO nowhere VALUES (1);")
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.kind == .migration(.failed))
        #expect(try connection.query("SELECT name FROM sqlite_master WHERE name = 'three'").isEmpty)
        #expect(try connection.query("SELECT version FROM schema_migrations").count == 2)
    }

    static let projectMigrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")

    @Test func appliesTheProjectsOwnMigrations() throws {
        let project = try Migrator(directory: Self.projectMigrations.path)
        #expect(!project.migrations.isEmpty)
        try project.migrate(connection)
        #expect(project.isUpToDate(connection))
    }

    /// SQLite fills a temporary b-tree with a CHECK's `IN` list of more than two values on every
    /// INSERT (0031 rewrote them as OR chains): none may come back, and the rules still hold.
    @Test func noCheckListFillsATemporaryTable() throws {
        try Migrator(directory: Self.projectMigrations.path).migrate(connection)
        let longList = try Regex(#"IN\s*\(\s*'[^']*'\s*,\s*'[^']*'\s*,"#)
        for row in try connection.query("SELECT name, sql FROM sqlite_schema WHERE type = 'table'") {
            let (name, sql): (String, String) = (try row.get("name"), try row.get("sql"))
            #expect(sql.firstMatch(of: longList) == nil, "\(name)")
        }
        let inserts = [
            """
            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at, updated_at)
            VALUES ('m', 'conv', 'inbound', 'sms', 'visitor', 'hi', 'received', 1, 1)
            """,
            "INSERT INTO conversation_events (conversation_id, type, payload, created_at) VALUES ('conv', 'message', '{}', 1)",
        ]
        for insert in inserts {
            let program = try connection.query("EXPLAIN " + insert).map { try $0.get("opcode", as: String.self) }
            #expect(!program.contains("OpenEphemeral"), "\(insert)")
        }
        #expect(try connection.queryOne("PRAGMA integrity_check")?.get("integrity_check", as: String.self) == "ok")
        try connection.execute(
            """
            INSERT INTO contacts (id, created_at) VALUES ('ct', 1);
            INSERT INTO conversations (id, contact_id, state, created_at, updated_at) VALUES ('conv', 'ct', 'open', 1, 1);
            """)
        let error = try #require(throws: StorageError.self) {
            try connection.execute(
                """
                INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at, updated_at)
                VALUES ('m', 'conv', 'inbound', 'sms', 'stranger', 'hi', 'received', 1, 1)
                """, [])
        }
        #expect(error.kind == .constraint && error.message.contains("author"))
        #expect(throws: StorageError.self) {
            try connection.execute("UPDATE conversations SET state = 'lost' WHERE id = 'conv'", [])
        }
    }

    /// 0009 moves a customer's MessageSid off the message row: the raw webhook links to the message.
    @Test func linksExistingRawWebhooksToTheirMessages() throws {
        let staged = directory.file("project")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.projectMigrations.path).sorted()
        func stage(_ names: [String]) throws {
            for name in names {
                try FileManager.default.copyItem(
                    at: Self.projectMigrations.appendingPathComponent(name), to: staged.appendingPathComponent(name))
            }
        }
        try stage(files.filter { $0 < "0009" })
        let database = try SQLiteConnection(path: directory.file("upgraded.sqlite").path)
        try Migrator(directory: staged.path).migrate(database)
        try database.execute(
            """
            INSERT INTO contacts (id, phone_e164, created_at) VALUES ('ct1', '+14155550100', 1);
            INSERT INTO conversations (id, contact_id, state, created_at, updated_at) VALUES ('conv1', 'ct1', 'open', 1, 1);
            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, provider_message_id,
                created_at, updated_at)
            VALUES ('msg_in', 'conv1', 'inbound', 'sms', 'visitor', 'hi', 'received', 'SMin', 1, 1),
                ('msg_out', 'conv1', 'outbound', 'sms', 'agent', 'hello', 'sent', 'SMout', 2, 2);
            INSERT INTO inbound_events (provider_event_id, gateway, kind, raw, received_at)
            VALUES ('SMin', 'twilio', 'message', 'Body=hi', 1);
            """)
        try stage(files.filter { $0 >= "0009" })
        try Migrator(directory: staged.path).migrate(database)
        let link = try database.queryOne("SELECT message_id FROM inbound_events WHERE provider_event_id = 'SMin'")
        #expect(try link?.get("message_id", as: String.self) == "msg_in")
        let ids = try database.query("SELECT id, provider_message_id FROM messages ORDER BY seq").map {
            [try $0.get("id", as: String.self), try $0.get("provider_message_id", as: String?.self) ?? "-"]
        }
        #expect(ids == [["msg_in", "-"], ["msg_out", "SMout"]], "only our own texts keep the gateway's id")
    }
}
