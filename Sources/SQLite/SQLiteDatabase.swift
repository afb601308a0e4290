public import DatabaseDriver
import Dispatch
import Foundation
import Synchronization

/// The SQLite driver's `Database`: one writer connection on its own serial queue and a few reader
/// connections, each on its own queue, reached with `async` calls that never block Swift's
/// cooperative pool.
///
/// Writes are group-committed: writes that arrive while a commit is under way are run together in
/// the next transaction, each inside its own savepoint (a failing write rolls back only itself),
/// and all of them return only after the shared COMMIT, so a returned write is durable. At
/// `synchronous: .full` the disk flush that makes it so is a `LogSync`, off the writer queue: the
/// writer runs the next group while the last one is being flushed.
///
/// The write-ahead log is copied back into the database file by a `Checkpointer` on its own
/// connection, not inside a commit: on a large database that copy took long enough to hold every
/// waiting write for hundreds of milliseconds.
public final class SQLiteDatabase: Database {
    private let writer: ConnectionBox
    private let writerQueue = DispatchQueue(label: "handoff.storage.writer")
    private let readers: [(connection: ConnectionBox, queue: DispatchQueue)]
    private let nextReader = Atomic<Int>(0)
    private let pending = Mutex(PendingWrites())
    private let checkpointer: Checkpointer
    /// Whether the writer's last COMMIT wrote to the log.
    private let writerCommits: WriterCommits
    /// Flushes the log after commits at `synchronous: .full`; nil at `.normal`.
    private let logSync: LogSync?
    /// Most writes run in one group commit.
    static let maxGroupSize = 64
    /// What of the calling task a write's body must still see on the writer queue.
    private let captureContext: @Sendable () -> (any WriteContext)?

    private struct PendingWrites {
        var jobs: [any WriteJob] = []
        var draining = false
    }

    /// Opens the database at `path` (creating it and its folder) with `readers` reader connections.
    /// At `.full`, a write returns once it would survive power loss; at `.normal`, a process crash.
    /// `writeContext` is called on the writing task and its result wraps the write's body on the
    /// writer queue (see `WriteContext`).
    public convenience init(
        path: String, readers: Int = 4, synchronous: SQLiteConnection.Synchronous = .full,
        writeContext: @escaping @Sendable () -> (any WriteContext)? = { nil }
    ) throws {
        try self.init(
            path: path, readers: readers, logSync: synchronous == .full ? LogSync(databasePath: path) : nil,
            writeContext: writeContext)
    }

    /// Opens the database with `logSync` making commits durable (none: `synchronous = NORMAL`).
    init(
        path: String, readers: Int, logSync: LogSync?,
        writeContext: @escaping @Sendable () -> (any WriteContext)? = { nil }
    ) throws {
        captureContext = writeContext
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Commits only write the log; `logSync` (when durability is asked for) flushes it.
        let synchronous = SQLiteConnection.Synchronous.normal
        self.logSync = logSync
        writer = ConnectionBox(try SQLiteConnection(path: path, synchronous: synchronous))
        let checkpointer = Checkpointer(try SQLiteConnection(path: path, synchronous: synchronous))
        let writerCommits = WriterCommits()
        writer.connection.onCommittedToLog { frames in
            writerCommits.wroteLog = true
            checkpointer.logGrew(to: frames)
        }
        self.writerCommits = writerCommits
        self.checkpointer = checkpointer
        self.readers = try (0..<max(1, readers)).map { index in
            (
                ConnectionBox(try SQLiteConnection(path: path, synchronous: synchronous)),
                DispatchQueue(label: "handoff.storage.reader.\(index)")
            )
        }
    }

    /// Runs `body` in a write transaction (group-committed, see the type's notes) and returns its
    /// result once committed. A throwing body leaves no trace and rethrows.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = TypedWriteJob(body: body, context: captureContext(), continuation: continuation)
            let startDrain = pending.withLock { state -> Bool in
                state.jobs.append(job)
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain { writerQueue.async { self.drainWrites() } }
        }
    }

    /// Runs `body` on a reader connection inside one read transaction (a consistent snapshot).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        let index = nextReader.add(1, ordering: .relaxed).oldValue % readers.count
        let (box, queue) = readers[index]
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result { try box.connection.transaction(.deferred) { try body(box.connection) } })
            }
        }
    }

    /// Runs `body` on the writer connection with no transaction around it (migrations manage
    /// their own), after the writes queued before it; returns once what it committed is durable.
    @discardableResult
    public func withWriter<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let context = captureContext()
            writerQueue.async {
                continuation.resume(
                    with: Result {
                        try context.restore { try self.durably(body, self.writer.connection) }
                    })
            }
        }
    }

    /// `withWriter` for synchronous callers (command-line tools); blocks the calling thread.
    public func withWriterSync<T>(_ body: (any Connection) throws -> T) throws -> T {
        try writerQueue.sync { try durably(body, writer.connection) }
    }

    /// `body`'s result, once the log it wrote to is flushed (at `.full`).
    private func durably<T>(_ body: (any Connection) throws -> T, _ connection: SQLiteConnection) throws -> T {
        if let failure = logSync?.failure { throw failure }
        let result = try body(connection)
        try logSync?.flushNow()
        return result
    }

    /// Runs the queued writes in group commits until none are left.
    private func drainWrites() {
        while true {
            let batch = pending.withLock { state -> [any WriteJob] in
                let batch = Array(state.jobs.prefix(Self.maxGroupSize))
                state.jobs.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [any WriteJob]) {
        if let failure = logSync?.failure {
            for job in batch { job.finish(commitError: failure) }
            return
        }
        let connection = writer.connection
        if checkpointer.takeCatchUp() {
            checkpointer.waitForBackgroundCopy()
            _ = try? connection.checkpoint()
        }
        do {
            try connection.prepare("BEGIN IMMEDIATE").execute()
        } catch {
            for job in batch { job.finish(commitError: error) }
            return
        }
        for job in batch { job.run(on: connection) }
        writerCommits.wroteLog = false
        var commitError: (any Error)?
        do {
            try connection.prepare("COMMIT").execute()
        } catch {
            commitError = error
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
        }
        if commitError == nil, let logSync {
            logSync.finishWhenDurable(batch, wroteLog: writerCommits.wroteLog)
        } else {
            for job in batch { job.finish(commitError: commitError) }
        }
    }
}

/// Keeps the write-ahead log short without making commits wait: once the log passes
/// `backgroundFrames`, a PASSIVE checkpoint copies it into the database file on the checkpointer's
/// own connection and queue while writes go on. The frames committed meanwhile are copied by a
/// short catch-up on the writer before its next commit, so the log is fully copied and SQLite
/// starts it over instead of growing it. Past `writerFrames` (the background copy is behind: its
/// queue runs at utility priority, and a busy machine may starve it or its disk writes while it
/// holds SQLite's checkpoint lock, which refuses the writer's own copy) the writer waits for a
/// background copy in progress and catches up by itself, so the log never passes `writerFrames`
/// by more than one group's frames.
private final class Checkpointer: Sendable {
    static let backgroundFrames = 1_000
    static let writerFrames = 4_000
    private let connection: ConnectionBox
    private let queue = DispatchQueue(label: "handoff.storage.checkpoint", qos: .utility)
    private let running = Atomic<Bool>(false)
    private let catchUpDue = Atomic<Bool>(false)

    init(_ connection: SQLiteConnection) { self.connection = ConnectionBox(connection) }

    /// After a commit (on the writer queue): the log now holds `frames` frames.
    func logGrew(to frames: Int) {
        if frames >= Self.writerFrames { catchUpDue.store(true, ordering: .relaxed) }
        guard frames >= Self.backgroundFrames, !running.exchange(true, ordering: .acquiring) else { return }
        queue.async { [self] in
            _ = try? connection.connection.checkpoint()
            catchUpDue.store(true, ordering: .relaxed)
            running.store(false, ordering: .releasing)
        }
    }

    /// Whether the writer should run a catch-up checkpoint now (clears the request).
    func takeCatchUp() -> Bool { catchUpDue.exchange(false, ordering: .relaxed) }

    /// Returns once no background copy is in progress (at once when none is), so the writer's
    /// catch-up is not refused by the checkpoint lock a slow background copy holds.
    func waitForBackgroundCopy() { queue.sync {} }
}

/// Set by the writer connection's commit hook when a COMMIT wrote frames to the log.
// @unchecked Sendable: written and read only on the writer queue.
private final class WriterCommits: @unchecked Sendable {
    var wroteLog = false
}

/// A connection used by exactly one queue.
// @unchecked Sendable: the connection is only touched on the one queue it belongs to.
private final class ConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection

    init(_ connection: SQLiteConnection) { self.connection = connection }
}

/// A queued write, type-erased so writes of different result types share one batch.
protocol WriteJob: AnyObject, Sendable {
    /// Runs the write inside its own savepoint of the open transaction, keeping the outcome.
    func run(on connection: SQLiteConnection)
    /// Reports the outcome, or `commitError` when the shared COMMIT failed.
    func finish(commitError: (any Error)?)
}

// @unchecked Sendable: `outcome` is written on the writer queue before the job is handed on (to
// `finish` there, or through `LogSync`'s lock to its queue), and read only in `finish`.
private final class TypedWriteJob<T: Sendable>: WriteJob, @unchecked Sendable {
    let body: @Sendable (any Connection) throws -> T
    let context: (any WriteContext)?
    let continuation: CheckedContinuation<T, any Error>
    var outcome: Result<T, any Error>?

    init(
        body: @escaping @Sendable (any Connection) throws -> T, context: (any WriteContext)?,
        continuation: CheckedContinuation<T, any Error>
    ) {
        self.body = body
        self.context = context
        self.continuation = continuation
    }

    func run(on connection: SQLiteConnection) {
        outcome = Result {
            try context.restore { try connection.savepoint { try body(connection) } }
        }
    }

    func finish(commitError: (any Error)?) {
        if let commitError {
            continuation.resume(throwing: commitError)
        } else {
            continuation.resume(with: outcome ?? .failure(StorageError(kind: .misuse, message: "write did not run")))
        }
    }
}
