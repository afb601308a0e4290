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
public final class PostgresDatabase: Database {
    public let pool: PostgresPool
    /// What of the calling task a body must still see on the connection's queue.
    private let captureContext: @Sendable () -> (any WriteContext)?

    /// A database on `pool`; no connection opens before the first use.
    public init(pool: PostgresPool, writeContext: @escaping @Sendable () -> (any WriteContext)? = { nil }) {
        self.pool = pool
        captureContext = writeContext
    }

    /// Attempts of one write refused for conflicts before it fails as `busy`.
    static let maxAttempts = 10

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        let context = captureContext()
        return try await run { session in
            var attempt = 1
            while true {
                do {
                    return try context.restore {
                        try session.transaction(.serializable) { try body(PostgresDriverConnection($0)) }
                    }
                } catch  where Self.isConflict(error) && attempt < Self.maxAttempts {
                    // The others that conflicted run again too: jitter, doubling up to 64 ms, spreads them.
                    usleep(UInt32.random(in: 500...(1_000 << min(attempt, 6))))
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
