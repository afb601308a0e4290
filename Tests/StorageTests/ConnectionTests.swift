import DatabaseDriver
import Foundation
import SQLite
import TestSupport
import Testing

@Suite struct ConnectionTests {
    let directory: TemporaryDirectory
    let connection: SQLiteConnection

    init() throws {
        directory = try TemporaryDirectory()
        connection = try SQLiteConnection(path: directory.file("test.sqlite").path)
        try connection.execute(
            """
            CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB, score REAL,
                size INTEGER CHECK (size IS NULL OR size > 0))
            """)
    }

    @Test func roundTripsEveryValueType() throws {
        let text = "héllo 👋 \u{0}after-nul"
        let blob: [UInt8] = [0, 1, 2, 0, 255]
        let first = try #require(
            try connection.queryOne(
                "INSERT INTO t (name, data, score) VALUES (?, ?, ?) RETURNING id", [.text(text), .blob(blob), 2.5]))
        try connection.execute("INSERT INTO t (name, data, score) VALUES (?, ?, ?)", [nil, .blob([]), nil])
        let rows = try connection.query("SELECT id, name, data, score FROM t ORDER BY id")
        #expect(rows.count == 2)
        #expect(try rows[0].get("name", as: String.self) == text)
        #expect(try rows[0].get("data", as: [UInt8].self) == blob)
        #expect(try rows[0].get("score", as: Double.self) == 2.5)
        #expect(try rows[0].get("id", as: Int64.self) == first.get("id", as: Int64.self))
        #expect(try rows[1].get("name", as: String?.self) == nil && rows[1].get("score", as: Double?.self) == nil)
    }

    @Test func anInsertReturnsItsRowsKeyNotATriggersRow() throws {
        try connection.execute(
            """
            CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
            INSERT INTO audit (id, note) VALUES (100, 'seed');
            CREATE TRIGGER t_audited AFTER INSERT ON t BEGIN INSERT INTO audit (note) VALUES (NEW.name); END;
            """)
        let first = try connection.insert("INSERT INTO t (name) VALUES (?)", ["a"], returningKey: "id")
        let second = try connection.insert("INSERT INTO t (name) VALUES (?)", ["b"], returningKey: "id")
        let stored = try connection.query("SELECT id FROM t ORDER BY id").map { try $0.get("id", as: Int64.self) }
        #expect(stored == [first, second])
        #expect(try connection.queryOne("SELECT max(id) AS id FROM audit")?.get("id", as: Int64.self) == 102)
        // A failed INSERT throws rather than hand back the key of the row before it.
        #expect(throws: StorageError.self) {
            try connection.insert("INSERT INTO t (name) VALUES (?)", ["a"], returningKey: "id")
        }
        let error = try #require(throws: StorageError.self) {
            try connection.insert("INSERT INTO t (name) SELECT name FROM t WHERE 0", [], returningKey: "id")
        }
        #expect(error.kind == .decoding && error.message.contains("\"id\""))
    }

    @Test func aCachedQueryNamesTheColumnsAsTheSchemaNowHasThem() throws {
        try connection.execute("INSERT INTO t (name) VALUES ('a'), ('b')")
        let before = try connection.query("SELECT * FROM t")
        #expect(try before[0].get("name", as: String.self) == "a")
        // The names are read once per prepared statement: every row of every run shares them.
        let again = try #require(try connection.queryOne("SELECT * FROM t"))
        #expect(before[0].columns === before[1].columns && again.columns === before[0].columns)
        try connection.execute("ALTER TABLE t RENAME COLUMN name TO label")
        let row = try #require(try connection.queryOne("SELECT * FROM t"))
        #expect(row.columns !== before[0].columns)
        #expect(try row.get("label", as: String.self) == "a")
        let error = try #require(throws: StorageError.self) { try row.get("name", as: String?.self) }
        #expect(error.kind == .decoding && error.message.contains("\"name\""))
        #expect(error.sql == "SELECT * FROM t")
    }

    @Test func bindsNamedParameters() throws {
        try connection.prepare("INSERT INTO t (name, score) VALUES (:name, :score)")
            .execute(named: ["name": "a", "score": 1.0])
        #expect(
            try connection.queryOne("SELECT score FROM t WHERE name = ?", ["a"])?.get("score", as: Double.self) == 1.0)
        #expect(throws: StorageError.self) {
            try connection.prepare("INSERT INTO t (name, score) VALUES (:name, :score)").execute(named: ["name": "b"])
        }
    }

    @Test func reportsConstraintViolationsWithTheExtendedCode() throws {
        try connection.execute("INSERT INTO t (name) VALUES (?)", ["dup"])
        let error = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO t (name) VALUES (?)", ["dup"])
        }
        #expect(error.kind == .uniqueViolation)
        #expect(error.driverCode == "2067")
        #expect(error.sql?.contains("INSERT") == true)
        let check = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO t (name, size) VALUES (?, ?)", ["small", 0])
        }
        #expect(check.kind == .constraint)
        #expect(!check.isTemporary)
    }

    @Test func aStatementThatFailedIsResetAndRunsAgain() throws {
        let insert = "INSERT INTO t (name) VALUES (?)"
        try connection.execute(insert, ["dup"])
        #expect(throws: StorageError.self) { try connection.execute(insert, ["dup"]) }
        #expect(try connection.execute(insert, ["new"]) == 1)
        // The third row fails (integer overflow) after two were read: the error surfaces, no rows do.
        try connection.execute("INSERT INTO t (name, size) VALUES ('x', 3)")
        let overflowing = """
            SELECT CASE WHEN coalesce(size, 0) < 3 THEN id ELSE abs(-9223372036854775807 - 1) END AS v
            FROM t ORDER BY id
            """
        let error = try #require(throws: StorageError.self) { try connection.query(overflowing) }
        #expect(error.kind == .other && error.message.contains("overflow"))
        try connection.execute("UPDATE t SET size = NULL")
        #expect(try connection.query(overflowing).count == 3)
    }

    @Test func classifiesWhatSQLiteRefuses() throws {
        let misuse = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO t (name) VALUES (?)", [])
        }
        #expect(misuse.kind == .misuse)
        let syntax = try #require(throws: StorageError.self) { try connection.query("SELECT FROM nowhere") }
        #expect(syntax.kind == .other)

        let missing = try #require(throws: StorageError.self) {
            try SQLiteConnection(path: directory.file("no/such/folder/db.sqlite").path, readOnly: true)
        }
        #expect(missing.kind == .cannotOpen)

        let reader = try SQLiteConnection(path: directory.file("test.sqlite").path, readOnly: true)
        let readOnly = try #require(throws: StorageError.self) {
            try reader.execute("INSERT INTO t (name) VALUES (?)", ["r"])
        }
        #expect(readOnly.kind == .readOnly)

        let garbage = directory.file("garbage.sqlite")
        try Data(repeating: 0x41, count: 8_192).write(to: garbage)
        let corrupt = try #require(throws: StorageError.self) {
            try SQLiteConnection(path: garbage.path, readOnly: true).query("SELECT * FROM sqlite_master")
        }
        #expect(corrupt.kind == .corrupt)
    }

    @Test func aWriteLockHeldElsewhereIsBusyAndTemporary() throws {
        let other = try SQLiteConnection(path: directory.file("test.sqlite").path)
        try other.execute("PRAGMA busy_timeout = 10")
        try connection.transaction {
            try connection.execute("INSERT INTO t (name) VALUES (?)", ["held"])
            let busy = try #require(throws: StorageError.self) {
                try other.execute("INSERT INTO t (name) VALUES (?)", ["waiting"])
            }
            #expect(busy.kind == .busy)
            #expect(busy.isTemporary)
        }
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
        let names = try connection.query("SELECT name FROM t ORDER BY id").map { try $0.get("name", as: String.self) }
        #expect(names == ["kept", "also"])
    }

    @Test func opensInWALModeWithForeignKeys() throws {
        #expect(try connection.queryOne("PRAGMA journal_mode")?.get("journal_mode", as: String.self) == "wal")
        #expect(try connection.queryOne("PRAGMA foreign_keys")?.get("foreign_keys", as: Int.self) == 1)
        #expect(try connection.queryOne("PRAGMA synchronous")?.get("synchronous", as: Int.self) == 2)
    }

    @Test func refusesAWrongNumberOfValues() {
        #expect(throws: StorageError.self) { try connection.execute("INSERT INTO t (name) VALUES (?)", []) }
    }
}
