import DatabaseDriver
import Testing

@Suite struct RowTests {
    enum Colour: String, DatabaseDecodable { case red, green }

    let row = Row(
        columns: RowColumns(names: ["id", "name", "score", "data", "gone", "colour"], sql: "SELECT * FROM t"),
        values: [.integer(7), .text("héllo"), .real(2.5), .blob([0, 255]), .null, .text("green")])

    @Test func readsEachColumnAsItsType() throws {
        #expect(try row.get("id", as: Int64.self) == 7)
        #expect(try row.get("id", as: Int.self) == 7)
        #expect(try row.get("id", as: Bool.self))
        #expect(try row.get("id", as: Double.self) == 7)
        #expect(try row.get("name", as: String.self) == "héllo")
        #expect(try row.get("score", as: Double.self) == 2.5)
        #expect(try row.get("data", as: [UInt8].self) == [0, 255])
        #expect(try row.get("colour", as: Colour.self) == .green)
        #expect(try row.get("gone", as: DatabaseValue.self) == .null)
    }

    @Test func readsNullOnlyAsAnOptional() throws {
        #expect(try row.get("gone", as: String?.self) == nil)
        #expect(try row.get("name", as: String?.self) == "héllo")
        let error = try #require(throws: StorageError.self) { try row.get("gone", as: String.self) }
        #expect(error.kind == .decoding)
        #expect(error.message == "column \"gone\" is NULL, not String")
        #expect(error.sql == "SELECT * FROM t")
    }

    @Test func aMissingColumnIsAnErrorNamingIt() throws {
        let error = try #require(throws: StorageError.self) { try row.get("nme", as: String?.self) }
        #expect(error.kind == .decoding)
        #expect(error.message.contains("no column \"nme\""))
        #expect(error.message.contains("id, name, score"))
    }

    @Test func aValueOfAnotherTypeIsAnErrorNamingTheColumn() throws {
        let text = try #require(throws: StorageError.self) { try row.get("name", as: Int64?.self) }
        #expect(text.message == "column \"name\" is text, not Optional<Int64>")
        let integer = try #require(throws: StorageError.self) { try row.get("id", as: String.self) }
        #expect(integer.message == "column \"id\" is an integer, not String")
        let unknown = try #require(throws: StorageError.self) { try row.get("name", as: Colour.self) }
        #expect(unknown.kind == .decoding)
        #expect(unknown.message.contains("\"name\""))
        #expect(throws: StorageError.self) { try row.get("score", as: Int.self) }
        #expect(throws: StorageError.self) { try row.get("data", as: String.self) }
    }

    @Test func aNameTwiceReadsItsFirstColumn() throws {
        let joined = Row(columns: RowColumns(names: ["id", "id"], sql: nil), values: [.integer(1), .integer(2)])
        #expect(try joined.get("id", as: Int.self) == 1)
    }
}

@Suite struct StorageErrorTests {
    @Test func temporaryKindsAreThoseARetryMayFix() {
        let temporary: [StorageError.Kind] = [.busy, .full, .io, .unavailable]
        let lasting: [StorageError.Kind] = [
            .uniqueViolation, .constraint, .corrupt, .cannotOpen, .readOnly, .misuse, .decoding,
            .migration(.checksumMismatch), .other,
        ]
        for kind in temporary { #expect(StorageError(kind: kind, message: "").isTemporary) }
        for kind in lasting { #expect(!StorageError(kind: kind, message: "").isTemporary) }
    }

    @Test func describesItselfWithTheDriverCodeAndStatement() {
        let error = StorageError(
            kind: .uniqueViolation, message: "UNIQUE constraint failed: t.name", driverCode: "2067",
            sql: "INSERT INTO t (name) VALUES (?)")
        #expect(
            error.description
                == "unique_violation (2067): UNIQUE constraint failed: t.name [INSERT INTO t (name) VALUES (?)]")
        #expect(StorageError(kind: .migration(.databaseNewer), message: "m").code == "database_newer_than_migrations")
    }
}
