import Storage
import TestSupport
import Testing

@Suite struct DatabaseTests {
    let directory: TemporaryDirectory
    let database: Database

    init() async throws {
        directory = try TemporaryDirectory()
        database = try Database(path: directory.file("nested/db.sqlite").path, readers: 2)
        try await database.write { try $0.execute("CREATE TABLE n (v INTEGER UNIQUE)") }
    }

    @Test func concurrentWritesAllLandAndAreReadable() async throws {
        let database = self.database
        try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<200 {
                group.addTask {
                    try await database.write { try $0.execute("INSERT INTO n VALUES (?)", [.int(value)]) }
                }
            }
            try await group.waitForAll()
        }
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM n")?.int("c") }
        #expect(count == 200)
    }

    @Test func aFailingWriteInAGroupLeavesTheOthersCommitted() async throws {
        try await database.write { try $0.execute("INSERT INTO n VALUES (?)", [1]) }
        let database = self.database
        let results = await withTaskGroup(of: Bool.self) { group in
            for value in [1, 2, 3, 1, 4] {
                group.addTask {
                    (try? await database.write { try $0.execute("INSERT INTO n VALUES (?)", [.int(value)]) }) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 3)
        let values = try await database.read { try $0.query("SELECT v FROM n ORDER BY v").compactMap { $0.int("v") } }
        #expect(values == [1, 2, 3, 4])
    }

    @Test func aThrowingWriteRethrowsAndLeavesNothing() async throws {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await database.write { connection -> Void in
                try connection.execute("INSERT INTO n VALUES (?)", [7])
                throw Refused()
            }
        }
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM n")?.int("c") }
        #expect(count == 0)
    }
}
