internal import CSQLite
public import DatabaseDriver
import Foundation

/// One SQLite connection: opened with WAL, foreign keys and a busy timeout, with a cache of
/// prepared statements. The SQLite driver's `Connection`.
///
/// Not Sendable: a connection is used from one queue at a time (`SQLiteDatabase` gives each its own).
public final class SQLiteConnection: Connection {
    /// SQLite durability for committed transactions.
    public enum Synchronous: String, Sendable {
        /// A commit survives power loss (fsync on every commit).
        case full
        /// A commit survives a process crash; the last ones may be lost on power loss.
        case normal
    }

    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// Takes the write lock at BEGIN, so it never fails half-way with SQLITE_BUSY on upgrade.
        case immediate = "IMMEDIATE"
        case deferred = "DEFERRED"
    }

    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// Rows stepped through by full table scans, per statement, since the connection opened (or
    /// since this was emptied): how tests prove the hot paths use indexes.
    public var fullScanSteps: [String: Int] = [:]
    /// Prepared statements run on this connection since it opened (scripts and pragmas run with
    /// `execute(_:)` are not counted): how tests hold a path to the statements it costs.
    public internal(set) var statementsRun = 0
    public var dialect: SQLDialect { .sqlite }
    /// Set by `onCommittedToLog`; SQLite holds only an unretained pointer to it.
    fileprivate var commitHook: CommitHook?

    /// Opens (creating when `readOnly` is false) the database at `path`; `:memory:` works too.
    public init(path: String, readOnly: Bool = false, synchronous: Synchronous = .full) throws(StorageError) {
        Self.configureLibrary
        var handle: OpaquePointer?
        let flags =
            SQLITE_OPEN_NOMUTEX | (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StorageError(sqliteCode: status, message: "cannot open \(path): \(message)", sql: nil)
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5000)
        if !readOnly { try execute("PRAGMA journal_mode = WAL") }
        try execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
        // Savepoint journals stay in memory: in a temporary file (SQLite's default once one passes
        // 64 KiB) every page a grouped write first touched was copied there with a `pwrite`.
        try execute("PRAGMA temp_store = MEMORY")
    }

    /// Process-wide SQLite settings, applied once before the first connection opens.
    private static let configureLibrary: Void = {
        _ = handoff_sqlite_disable_memory_statistics()
    }()

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without results (schema scripts, pragmas).
    public func execute(_ script: String) throws(StorageError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, script, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            throw StorageError(sqliteCode: sqlite3_extended_errcode(handle), message: text, sql: script)
        }
    }

    /// The cached prepared statement for `sql`, prepared on first use.
    public func prepare(_ sql: String) throws(StorageError) -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Prepares (or reuses) and runs `sql`; returns the number of rows changed.
    @discardableResult
    public func execute(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> Int {
        try prepare(sql).execute(values)
    }

    /// Prepares (or reuses) and runs `sql`, a one-row INSERT; returns the rowid SQLite assigned it
    /// (`key` names the table's INTEGER PRIMARY KEY, which is that rowid). Rows the statement's
    /// triggers insert do not change it.
    public func insert(_ sql: String, _ values: [DatabaseValue], returningKey key: String) throws(StorageError)
        -> Int64
    {
        guard try prepare(sql).execute(values) == 1 else {
            throw .noRowInserted(key: key, sql: sql)
        }
        return sqlite3_last_insert_rowid(handle)
    }

    /// Prepares (or reuses) `sql` and returns its rows.
    public func query(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> [Row] {
        try prepare(sql).query(values)
    }

    /// True while a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in an IMMEDIATE transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T { try transaction(.immediate, body) }

    /// Runs `body` in a transaction of `kind`: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T>(_ kind: TransactionKind, _ body: () throws -> T) throws -> T {
        try prepare("BEGIN \(kind.rawValue)").execute()
        do {
            let result = try body()
            try prepare("COMMIT").execute()
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` inside a savepoint: released when it returns, rolled back (alone) when it throws.
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try prepare("SAVEPOINT handoff_write").execute()
        do {
            let result = try body()
            try prepare("RELEASE handoff_write").execute()
            return result
        } catch {
            try? execute("ROLLBACK TO handoff_write; RELEASE handoff_write")
            throw error
        }
    }

    /// The error for a failed call, with SQLite's extended code and message.
    func error(_ status: Int32, sql: String?) -> StorageError {
        let extended = sqlite3_extended_errcode(handle)
        return StorageError(
            sqliteCode: extended != 0 ? extended : status, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

extension SQLiteConnection {
    /// Copies this database into a new file at `path` with SQLite's online backup API, a few
    /// pages at a time, so writers are only briefly held up; the copy is a consistent snapshot.
    public func backup(to path: String, pagesPerStep: Int32 = 256) throws(StorageError) {
        let destination = try SQLiteConnection(path: path, synchronous: .full)
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw destination.error(sqlite3_errcode(destination.handle), sql: nil)
        }
        var status: Int32 = SQLITE_OK
        repeat {
            status = sqlite3_backup_step(backup, pagesPerStep)
            if status == SQLITE_BUSY || status == SQLITE_LOCKED { sqlite3_sleep(5) }
        } while status == SQLITE_OK || status == SQLITE_BUSY || status == SQLITE_LOCKED
        let finished = sqlite3_backup_finish(backup)
        guard status == SQLITE_DONE, finished == SQLITE_OK else {
            throw StorageError(
                sqliteCode: status == SQLITE_DONE ? finished : status, message: "backup to \(path) failed", sql: nil)
        }
    }
}

extension SQLiteConnection {
    /// Copies committed pages from the write-ahead log into the database file, as far as readers
    /// allow, without waiting for or blocking anyone (a PASSIVE checkpoint). Returns the frames in
    /// the log and how many of them are now in the database file.
    @discardableResult
    public func checkpoint() throws(StorageError) -> (logFrames: Int, checkpointed: Int) {
        var logFrames: Int32 = 0
        var checkpointed: Int32 = 0
        let status = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &checkpointed)
        guard status == SQLITE_OK else { throw error(status, sql: "checkpoint") }
        return (Int(logFrames), Int(checkpointed))
    }

    /// Calls `body` after every commit with the number of frames in the write-ahead log, in place
    /// of SQLite's automatic checkpoint (which would copy the log inside the committing call).
    func onCommittedToLog(_ body: @escaping (Int) -> Void) {
        let hook = CommitHook(body)
        commitHook = hook
        sqlite3_wal_hook(
            handle,
            { context, _, _, frames in
                Unmanaged<CommitHook>.fromOpaque(context!).takeUnretainedValue().body(Int(frames))
                return SQLITE_OK
            }, Unmanaged.passUnretained(hook).toOpaque())
    }
}

/// The closure `SQLiteConnection.onCommittedToLog` installed, kept alive by its connection.
final class CommitHook {
    let body: (Int) -> Void

    init(_ body: @escaping (Int) -> Void) { self.body = body }
}
