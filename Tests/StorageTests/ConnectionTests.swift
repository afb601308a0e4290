import Foundation
import Storage
import TestSupport
import Testing

@Suite struct ConnectionTests {
    let directory: TemporaryDirectory
    let connection: Connection

    init() throws {
        directory = try TemporaryDirectory()
        connection = try Connection(path: directory.file("test.sqlite").path)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB, score REAL)")
    }

    @Test func roundTripsEveryValueType() throws {
        let text = "héllo 👋 \u{0}after-nul"
        let blob: [UInt8] = [0, 1, 2, 0, 255]
        try connection.execute("INSERT INTO t (name, data, score) VALUES (?, ?, ?)", [.text(text), .blob(blob), 2.5])
        try connection.execute("INSERT INTO t (name, data, score) VALUES (?, ?, ?)", [nil, .blob([]), nil])
        let rows = try connection.query("SELECT id, name, data, score FROM t ORDER BY id")
        #expect(rows.count == 2)
        #expect(rows[0].string("name") == text)
        #expect(rows[0].blob("data") == blob)
        #expect(rows[0].double("score") == 2.5)
        #expect(rows[0].int("id") == Int(connection.lastInsertRowID) - 1)
        #expect(rows[1].isNull("name") && rows[1].isNull("score"))
    }

    @Test func aCachedQueryNamesTheColumnsAsTheSchemaNowHasThem() throws {
        try connection.execute("INSERT INTO t (name) VALUES ('a')")
        #expect(try connection.queryOne("SELECT * FROM t")?.string("name") == "a")
        try connection.execute("ALTER TABLE t RENAME COLUMN name TO label")
        let row = try connection.queryOne("SELECT * FROM t")
        #expect(row?.string("label") == "a")
        #expect(row?.isNull("name") == true)
    }

    @Test func bindsNamedParameters() throws {
        try connection.prepare("INSERT INTO t (name, score) VALUES (:name, :score)")
            .execute(named: ["name": "a", "score": 1.0])
        #expect(try connection.queryOne("SELECT score FROM t WHERE name = ?", ["a"])?.double("score") == 1.0)
        #expect(throws: StorageError.self) {
            try connection.prepare("INSERT INTO t (name, score) VALUES (:name, :score)").execute(named: ["name": "b"])
        }
    }

    @Test func reportsConstraintViolationsWithTheExtendedCode() throws {
        try connection.execute("INSERT INTO t (name) VALUES (?)", ["dup"])
        let error = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO t (name) VALUES (?)", ["dup"])
        }
        #expect(error.code == "constraint")
        #expect(error.resultCode == 2067)
        #expect(error.isUniqueViolation)
        #expect(error.sql?.contains("INSERT") == true)
    }

    @Test func rollsBackATransactionThatThrows() throws {
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t (name) VALUES (?)", ["gone"])
                throw Stop()
            }
        }
        #expect(try connection.query("SELECT * FROM t").isEmpty)
        #expect(!connection.isInTransaction)
    }

    @Test func rollsBackOnlyTheFailingSavepoint() throws {
        try connection.transaction {
            try connection.execute("INSERT INTO t (name) VALUES (?)", ["kept"])
            _ = try? connection.savepoint { try connection.execute("INSERT INTO t (name) VALUES (?)", ["kept"]) }
            try connection.savepoint { try connection.execute("INSERT INTO t (name) VALUES (?)", ["also"]) }
        }
        #expect(try connection.query("SELECT name FROM t ORDER BY id").map { $0.string("name") } == ["kept", "also"])
    }

    @Test func opensInWALModeWithForeignKeys() throws {
        #expect(try connection.queryOne("PRAGMA journal_mode")?.string("journal_mode") == "wal")
        #expect(try connection.queryOne("PRAGMA foreign_keys")?.int("foreign_keys") == 1)
        #expect(try connection.queryOne("PRAGMA synchronous")?.int("synchronous") == 2)
    }

    @Test func refusesAWrongNumberOfValues() {
        #expect(throws: StorageError.self) { try connection.execute("INSERT INTO t (name) VALUES (?)", []) }
    }
}
