import DatabaseDriver
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import SQLite

/// `synchronous: .full` without SQLite's own flush: a write is acknowledged only after the log
/// flush that follows its commit, and a failed flush refuses every write after it.
@Suite struct LogSyncTests {
    /// A stand-in for `fdatasync` that counts calls and, while held, blocks them.
    final class Flushes: Sendable {
        private let state = Mutex((calls: 0, held: false, failing: false))
        private let release = DispatchSemaphore(value: 0)

        var calls: Int { state.withLock { $0.calls } }
        func hold() { state.withLock { $0.held = true } }
        func fail() { state.withLock { $0.failing = true } }
        func letGo() {
            state.withLock { $0.held = false }
            release.signal()
        }

        func flush(_ descriptor: Int32) -> Int32 {
            let (held, failing) = state.withLock { state in
                state.calls += 1
                return (state.held, state.failing)
            }
            if held { release.wait() }
            return failing ? -1 : 0
        }
    }

    let directory: TemporaryDirectory
    let flushes = Flushes()
    let database: SQLiteDatabase

    init() async throws {
        directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite").path
        let flushes = flushes
        database = try SQLiteDatabase(
            path: path, readers: 1, logSync: LogSync(databasePath: path, flush: { flushes.flush($0) }))
        try await database.write { try $0.execute("CREATE TABLE n (v INTEGER)") }
    }

    @Test func aWriteReturnsOnlyAfterTheLogIsFlushed() async throws {
        let before = flushes.calls
        flushes.hold()
        let returned = Mutex(false)
        let database = self.database
        let write = Task {
            try await database.write { try $0.execute("INSERT INTO n VALUES (1)", []) }
            returned.withLock { $0 = true }
        }
        // Committed (other connections see it) ...
        var visible = 0
        for _ in 0..<500 where visible == 0 {
            visible =
                try await database.read { try $0.queryOne("SELECT count(*) AS c FROM n")?.get("c", as: Int.self) } ?? 0
            if visible == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(visible == 1)
        // ... but not acknowledged while the flush has not returned.
        try await Task.sleep(for: .milliseconds(100))
        #expect(!returned.withLock { $0 })
        #expect(flushes.calls > before)
        flushes.letGo()
        try await write.value
        #expect(returned.withLock { $0 })
    }

    @Test func aWriteThatChangedNothingWaitsOnlyForAFlushStillToCome() async throws {
        // Every earlier commit is flushed: a write that wrote nothing returns without a flush.
        let before = flushes.calls
        let empty = try await database.write { try $0.queryOne("SELECT count(*) AS c FROM n")?.get("c", as: Int.self) }
        #expect(empty == 0)
        #expect(flushes.calls == before)
        // A commit whose flush has not returned: a write that reads its row waits for that flush.
        flushes.hold()
        let database = self.database
        let insert = Task { try await database.write { try $0.execute("INSERT INTO n VALUES (1)", []) } }
        while flushes.calls == before { try await Task.sleep(for: .milliseconds(1)) }
        let returned = Mutex(false)
        let look = Task {
            let count = try await database.write {
                try $0.queryOne("SELECT count(*) AS c FROM n")?.get("c", as: Int.self)
            }
            returned.withLock { $0 = true }
            return count
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!returned.withLock { $0 })
        flushes.letGo()
        _ = try await insert.value
        #expect(try await look.value == 1)
    }

    @Test func withoutALogThereIsNothingToFlush() throws {
        let flushes = flushes
        let sync = LogSync(databasePath: directory.file("never-opened.sqlite").path, flush: { flushes.flush($0) })
        let before = flushes.calls
        try sync.flushNow()
        #expect(flushes.calls == before)
        #expect(sync.failure == nil)
    }

    @Test func aFailedFlushRefusesThatWriteAndEveryLaterOne() async throws {
        flushes.fail()
        await #expect(throws: StorageError.self) {
            try await database.write { try $0.execute("INSERT INTO n VALUES (1)", []) }
        }
        let flushesAfterFailure = flushes.calls
        for _ in 0..<2 {
            let error = await #expect(throws: StorageError.self) {
                try await database.write { try $0.execute("INSERT INTO n VALUES (2)", []) }
            }
            #expect(error?.kind == .io)
            #expect(error?.isTemporary == true)
        }
        await #expect(throws: StorageError.self) { try await database.withWriter { _ in } }
        // Refused before running: nothing more was written or flushed.
        #expect(flushes.calls == flushesAfterFailure)
        let twos = try await database.read {
            try $0.queryOne("SELECT count(*) AS c FROM n WHERE v = 2")?.get("c", as: Int.self)
        }
        #expect(twos == 0)
    }
}
