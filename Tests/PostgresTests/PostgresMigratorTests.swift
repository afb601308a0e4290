import DatabaseDriver
import Foundation
import Postgres
import Storage
import TestSupport
import Testing

/// The migrator on PostgreSQL, through `PostgresDatabase.withWriter` as `handoff migrate` runs it:
/// ordered, one transaction each (PostgreSQL's DDL is transactional), checksummed, and refusing an
/// edited file or a newer database.
@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresMigratorTests {
    let directory: TemporaryDirectory
    let migrations: URL

    init() throws {
        directory = try TemporaryDirectory()
        migrations = directory.file("postgres")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try write("0001_one.sql", "CREATE TABLE one (id bigint);")
        try write("0002_two.sql", "CREATE TABLE two (id bigint);")
    }

    func write(_ name: String, _ sql: String) throws {
        try Data(sql.utf8).write(to: migrations.appendingPathComponent(name))
    }

    func migrate(_ database: PostgresDatabase, _ folder: URL? = nil) async throws -> [Int] {
        let migrator = try Migrator(directory: (folder ?? migrations).path)
        return try await database.withWriter { try migrator.migrate($0) }.map(\.version)
    }

    func isUpToDate(_ database: PostgresDatabase) async throws -> Bool {
        let migrator = try Migrator(directory: migrations.path)
        return (try? await database.read { migrator.isUpToDate($0) }) ?? false
    }

    @Test func appliesInOrderOnceAndRefusesEditsAndNewerDatabases() async throws {
        try await PostgresDatabaseTests.withDatabase { database, _ in
            #expect(try await !isUpToDate(database), "no schema_migrations yet: not ready, nothing created")
            try write("0010_ten.sql", "INSERT INTO two VALUES (10);")
            #expect(try await migrate(database) == [1, 2, 10])
            #expect(try await migrate(database) == [])
            #expect(try await isUpToDate(database), "checked in a read-only snapshot")

            try write("0002_two.sql", "CREATE TABLE two (id bigint, more text);")
            let edited = try await #require(throws: StorageError.self) { try await migrate(database) }
            #expect(edited.code == "migration_checksum_mismatch")
            #expect(try await !isUpToDate(database))

            try write("0002_two.sql", "CREATE TABLE two (id bigint);")
            try FileManager.default.removeItem(at: migrations.appendingPathComponent("0010_ten.sql"))
            let newer = try await #require(throws: StorageError.self) { try await migrate(database) }
            #expect(newer.code == "database_newer_than_migrations")
        }
    }

    @Test func aFailingMigrationLeavesNothingOfItself() async throws {
        try await PostgresDatabaseTests.withDatabase { database, _ in
            try write("0003_bad.sql", "CREATE TABLE three (id bigint); INSERT INTO nowhere VALUES (1);")
            let error = try await #require(throws: StorageError.self) { try await migrate(database) }
            #expect(error.code == "migration_failed" && error.driverCode == "42P01")
            let left = try await database.read { connection in
                try connection.queryOne(
                    """
                    SELECT (SELECT count(*) FROM pg_tables WHERE tablename = 'three') AS three,
                        (SELECT count(*) FROM schema_migrations) AS applied
                    """)!
            }
            #expect(try left.get("three", as: Int.self) == 0 && left.get("applied", as: Int.self) == 2)
        }
    }

    /// 0009 on PostgreSQL moves a customer's MessageSid off the message row, as SQLite's does.
    @Test func theProjectsMigrationsApplyAndCarryDataAcross0009() async throws {
        let project = PostgresSchemaTests.postgresMigrations
        let staged = directory.file("project")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: project.path).sorted()
        func stage(_ names: [String]) throws {
            for name in names {
                try FileManager.default.copyItem(
                    at: project.appendingPathComponent(name), to: staged.appendingPathComponent(name))
            }
        }
        try await PostgresDatabaseTests.withDatabase { database, _ in
            try stage(files.filter { $0 < "0009" })
            #expect(try await migrate(database, staged).count == 8)
            try await database.write { connection in
                try connection.execute(
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
            }
            try stage(files.filter { $0 >= "0009" })
            // Numbers are reserved per issue, so the folder may have gaps until every issue landed.
            #expect(
                try await migrate(database, staged) == files.filter { $0 >= "0009" }.compactMap { Int($0.prefix(4)) })
            let (link, ids) = try await database.read { connection in
                (
                    try connection.queryOne("SELECT message_id FROM inbound_events WHERE provider_event_id = 'SMin'")?
                        .get("message_id", as: String.self),
                    try connection.query("SELECT id, provider_message_id FROM messages ORDER BY seq").map {
                        [try $0.get("id", as: String.self), try $0.get("provider_message_id", as: String?.self) ?? "-"]
                    }
                )
            }
            #expect(link == "msg_in")
            #expect(ids == [["msg_in", "-"], ["msg_out", "SMout"]], "only our own texts keep the gateway's id")
            // The answer-deadline trigger of 0007 saw the visitor's text.
            let waiting = try await database.read {
                try $0.queryOne("SELECT awaiting_reply_since FROM conversations WHERE id = 'conv1'")!
                    .get("awaiting_reply_since", as: Int64?.self)
            }
            #expect(waiting == nil, "the agent's text answered it")
        }
    }
}
