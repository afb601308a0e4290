import DatabaseDriver
import Foundation
import SQLite
import Storage
import TestSupport
import Testing

@Suite struct DatabaseTests {
    let directory: TemporaryDirectory
    let database: SQLiteDatabase

    init() async throws {
        directory = try TemporaryDirectory()
        database = try SQLiteDatabase(path: directory.file("nested/db.sqlite").path, readers: 2)
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
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM n")?.get("c", as: Int.self) }
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
        let values = try await database.read {
            try $0.query("SELECT v FROM n ORDER BY v").map { try $0.get("v", as: Int.self) }
        }
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
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM n")?.get("c", as: Int.self) }
        #expect(count == 0)
    }

    /// The log is copied back by the checkpointer while writes go on, and SQLite starts it over:
    /// it stays near the background threshold (about 1,000 frames) instead of growing with the
    /// writes, and every row is there.
    @Test func theWriteAheadLogIsCopiedBackAndStaysShort() async throws {
        let path = directory.file("log.sqlite").path
        let database = try SQLiteDatabase(path: path, readers: 1, synchronous: .normal)
        try await database.write { try $0.execute("CREATE TABLE pages (v INTEGER PRIMARY KEY, data BLOB)") }
        let rows = 3_000
        var largestLog = 0
        for value in 0..<rows {
            // Two pages and more per row: some 7,000 frames in all.
            try await database.write {
                try $0.execute(
                    "INSERT INTO pages VALUES (?, ?)", [.int(value), .blob(Array(repeating: 7, count: 6_000))])
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? nil
            largestLog = max(largestLog, size ?? 0)
        }
        // The writer catches up past 4,000 frames even when the background checkpoint gets no CPU
        // (a loaded machine starves its utility queue): at most one write's frames more.
        #expect(largestLog < 4_100 * (4_096 + 24), "the log reached \(largestLog) bytes")
        let reopened = try SQLiteConnection(path: path, readOnly: true)
        #expect(try reopened.queryOne("SELECT count(*) AS n FROM pages")?.get("n", as: Int.self) == rows)
    }
}
