import Foundation
import Storage
import TestSupport
import Testing

@Suite struct MigratorTests {
    let directory: TemporaryDirectory
    let migrations: URL
    let connection: Connection

    init() throws {
        directory = try TemporaryDirectory()
        migrations = directory.file("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        connection = try Connection(path: directory.file("db.sqlite").path)
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
        #expect(rows.allSatisfy { $0.string("checksum")?.count == 64 })
    }

    @Test func refusesAnEditedMigration() throws {
        try migrator().migrate(connection)
        try write("0002_two.sql", "CREATE TABLE two (id INTEGER, more TEXT);")
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.code == "migration_checksum_mismatch")
        #expect(!(try migrator().isUpToDate(connection)))
    }

    @Test func refusesAMissingMigration() throws {
        try migrator().migrate(connection)
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0001_one.sql"))
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.code == "migration_missing")
    }

    @Test func refusesADatabaseNewerThanItsFiles() throws {
        try migrator().migrate(connection)
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0002_two.sql"))
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.code == "database_newer_than_migrations")
    }

    @Test func refusesBadNamesAndDuplicateVersions() throws {
        try write("0002_again.sql", "SELECT 1;")
        #expect(throws: StorageError.self) { try migrator() }
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0002_again.sql"))
        try write("three.sql", "SELECT 1;")
        let error = try #require(throws: StorageError.self) { try migrator() }
        #expect(error.code == "migration_bad_name")
    }

    @Test func aFailingMigrationLeavesNothingOfItself() throws {
        try write("0003_bad.sql", "CREATE TABLE three (id INTEGER); INSERT INTO nowhere VALUES (1);")
        let error = try #require(throws: StorageError.self) { try migrator().migrate(connection) }
        #expect(error.code == "migration_failed")
        #expect(try connection.query("SELECT name FROM sqlite_master WHERE name = 'three'").isEmpty)
        #expect(try connection.query("SELECT version FROM schema_migrations").count == 2)
    }

    @Test func appliesTheProjectsOwnMigrations() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let project = try Migrator(directory: root.appendingPathComponent("migrations").path)
        #expect(!project.migrations.isEmpty)
        try project.migrate(connection)
        #expect(project.isUpToDate(connection))
    }
}
