public import DatabaseDriver
import Glibc

/// The storage seam on PostgreSQL: `Database` over a `PostgresPool`. Each write runs in a
/// transaction of its own on a pooled connection and returns once COMMIT did (no group commit:
/// PostgreSQL groups the WAL flushes of concurrent commits itself; `synchronous_commit` stays at
/// its default, on, so a returned write is on disk). Each read runs in a read-only
/// REPEATABLE READ transaction: one snapshot for all its statements.
///
/// Writes are SERIALIZABLE, as SQLite's one writer makes them: a body that reads, then writes
/// what it read (a cap counted, then a row added) behaves as if no other write ran meanwhile, on
/// any node. When the server refuses a write for a conflict (40001, 40P01) the body runs again, up
/// to `maxAttempts` times, then the write fails as `busy`: a body must do nothing but SQL.
///
/// Most of those conflicts are not real: PostgreSQL tracks what a serializable transaction read
/// by index page, so two writes for different customers that read, then insert into, the same
/// page of a small index (a phone looked up and not found, then its contact added) refuse each
/// other. With a `writeGate`, a write's last attempt runs alone instead of being refused: every
/// write takes the gate's table lock in ROW EXCLUSIVE mode (which writes share), and that attempt
/// in EXCLUSIVE mode, so it waits for the writes under way on every node, holds new ones back, and
/// cannot be refused for a conflict (unless a writer that takes no gate, such as a node of an
/// older build, wrote meanwhile). Each write takes its lock in BEGIN's round trip and before its
/// first query, so its snapshot comes after the writes it waited for. Only the last attempt: a
/// write that runs alone stalls every other, and where conflicts are frequent (outbox claims of
/// many lanes at once) running alone sooner serialises the writers and costs more than retrying.
public final class PostgresDatabase: Database {
    public let pool: PostgresPool
    /// What of the calling task a body must still see on the connection's queue.
    private let captureContext: @Sendable () -> (any WriteContext)?
    /// The table whose lock orders writes (see the type's comment); nil: none, a write refused
    /// `maxAttempts` times fails as `busy`.
    private let writeGate: String?
    /// Told of every conflict a write met (to log and count them).
    private let conflicts: @Sendable (PostgresWriteConflict) -> Void

    /// A database on `pool`; no connection opens before the first use. `writeGate` names a table
    /// every node's writers lock (nobody else needs to: reads and writes of its rows are not held
    /// back); `conflicts` hears of each conflict a write meets.
    public init(
        pool: PostgresPool, writeContext: @escaping @Sendable () -> (any WriteContext)? = { nil },
        writeGate: String? = nil, conflicts: @escaping @Sendable (PostgresWriteConflict) -> Void = { _ in }
    ) {
        self.pool = pool
        captureContext = writeContext
        self.writeGate = writeGate
        self.conflicts = conflicts
    }

    /// Attempts of one write refused for conflicts before it fails as `busy` (with a gate, the
    /// last one runs alone).
    static let maxAttempts = 10

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        let context = captureContext()
        let (gate, conflicts) = (writeGate, self.conflicts)
        return try await run { session in
            var attempt = 1
            while true {
                let alone = gate != nil && attempt == Self.maxAttempts
                let lock = gate.map { PostgresTableLock(table: $0, mode: alone ? .exclusive : .rowExclusive) }
                do {
                    return try context.restore {
                        try session.transaction(.serializable, locking: lock) { try body(PostgresDriverConnection($0)) }
                    }
                } catch  where Self.isConflict(error) {
                    let next: PostgresWriteConflict.Next =
                        attempt == Self.maxAttempts
                        ? .refused : gate != nil && attempt + 1 == Self.maxAttempts ? .runAlone : .retry
                    // The body sees the server's errors as StorageErrors, which leave out DETAIL.
                    let refusal = session.lastError ?? PostgresError(kind: .conflict, message: "\(error)")
                    conflicts(PostgresWriteConflict(attempt: attempt, error: refusal, next: next))
                    guard next != .refused else { throw error }
                    // The others that conflicted run again too: jitter, doubling up to 64 ms, spreads
                    // them. Running alone waits for the lock instead.
                    if next == .retry { usleep(UInt32.random(in: 500...(1_000 << min(attempt, 6)))) }
                    attempt += 1
                }
            }
        }
    }

    /// A serialization failure or a deadlock: nothing was stored, and running again may succeed.
    private static func isConflict(_ error: any Error) -> Bool {
        let sqlState = (error as? PostgresError)?.sqlState ?? (error as? StorageError)?.driverCode
        return sqlState == "40001" || sqlState == "40P01"
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await run { session in
            try session.transaction(.readOnlySnapshot) { try body(PostgresDriverConnection($0)) }
        }
    }

    /// Runs `body` with no transaction around it (migrations open their own), holding the
    /// database's writer lock: nodes that start together migrate one after the other, and those
    /// that come second find nothing pending. The lock is a session advisory lock, released when
    /// `body` returns or the connection is lost.
    @discardableResult
    public func withWriter<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        let context = captureContext()
        return try await run { session in
            try session.executeScript("SELECT pg_advisory_lock(\(Self.writerLock))")
            defer { try? session.executeScript("SELECT pg_advisory_unlock(\(Self.writerLock))") }
            return try context.restore { try body(PostgresDriverConnection(session)) }
        }
    }

    /// The advisory lock key of `withWriter`: "handoff" in ASCII.
    static let writerLock: Int64 = 0x68_61_6e_64_6f_66_66

    /// `body` on a leased connection, with the driver's errors as `StorageError`s.
    private func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        do {
            return try await pool.withSession(body)
        } catch let error as PostgresError {
            throw StorageError(error)
        }
    }
}

/// A conflict a write met (`PostgresDatabase`), and what the write does next.
public struct PostgresWriteConflict: Sendable {
    /// What follows the conflict.
    public enum Next: String, Sendable {
        /// The body runs again after a short random pause.
        case retry
        /// The body runs again alone (the write gate's EXCLUSIVE lock).
        case runAlone = "run_alone"
        /// `maxAttempts` were refused: the write fails as `busy`.
        case refused
    }

    /// 1 for the write's first attempt.
    public var attempt: Int
    /// 40001 or 40P01; its `detail` gives the server's reason ("Reason code: Canceled on
    /// identification as a pivot, during write."), its `sql` the statement refused.
    public var error: PostgresError
    public var next: Next
}

/// A `PostgresSession` as the seam's `Connection`: the shared SQL's `?` placeholders are
/// rewritten to `$n` when a statement is prepared; values map one to one (`blob` ↔ `bytea`).
final class PostgresDriverConnection: Connection {
    private let session: PostgresSession

    init(_ session: PostgresSession) { self.session = session }

    var dialect: SQLDialect { .postgresql }

    @discardableResult
    func execute(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> Int {
        try run(sql, values).affectedRows
    }

    func query(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> [Row] {
        let result = try run(sql, values)
        let columns = RowColumns(names: result.columns.map(\.name), sql: sql)
        return result.rows.map { Row(columns: columns, values: $0.values.map(DatabaseValue.init)) }
    }

    func insert(_ sql: String, _ values: [DatabaseValue], returningKey key: String) throws(StorageError) -> Int64 {
        let returning = sql + " RETURNING " + key
        guard let row = try query(returning, values).first else { throw .noRowInserted(key: key, sql: returning) }
        return try row.get(key)
    }

    func execute(_ script: String) throws(StorageError) {
        do {
            try session.executeScript(script)
        } catch {
            throw StorageError(error)
        }
    }

    @discardableResult
    func transaction<T>(_ body: () throws -> T) throws -> T {
        do {
            return try session.transaction(.readWrite) { _ in try body() }
        } catch let error as PostgresError {
            throw StorageError(error)
        }
    }

    private func run(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> PostgresResult {
        do {
            return try session.execute(sql, values.map(PostgresValue.init), placeholders: .questionMarks)
        } catch {
            throw StorageError(error)
        }
    }
}

extension PostgresValue {
    init(_ value: DatabaseValue) {
        switch value {
        case .null: self = .null
        case .integer(let integer): self = .integer(integer)
        case .real(let real): self = .real(real)
        case .text(let text): self = .text(text)
        case .blob(let bytes): self = .bytea(bytes)
        }
    }
}

extension DatabaseValue {
    init(_ value: PostgresValue) {
        switch value {
        case .null: self = .null
        case .integer(let integer): self = .integer(integer)
        case .real(let real): self = .real(real)
        case .text(let text): self = .text(text)
        case .bytea(let bytes): self = .blob(bytes)
        }
    }
}

extension StorageError {
    /// The seam's kind of a driver error (see `PostgresError.Kind` for the SQLSTATEs behind each).
    public init(_ error: PostgresError) {
        let kind: Kind =
            switch error.kind {
            case .constraint: error.isUniqueViolation ? .uniqueViolation : .constraint
            case .conflict, .canceled: .busy  // serialization failure, deadlock, lock or statement timeout
            case .full: .full
            case .unavailable: .unavailable
            case .io: .io
            case .corrupt: .corrupt
            case .configuration: .cannotOpen  // credentials, database or privileges: an operator must act
            case .invalidData, .bug: .other
            }
        // Not the DETAIL line: it quotes the row's values, which may be personal data.
        self.init(kind: kind, message: error.message, driverCode: error.sqlState, sql: error.sql)
    }
}
