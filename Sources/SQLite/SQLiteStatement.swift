internal import CSQLite
public import DatabaseDriver

/// A prepared statement, owned by its `SQLiteConnection` and reused through its statement cache.
///
/// Not Sendable: it lives on its connection's queue. Bind values positionally (`?`) or by name
/// (`:name`), then `execute` or `query`; both reset the statement for reuse, and a reset that
/// fails is an error like a failed step.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection
    public let sql: String
    /// The result's columns, read once (every row shares them) and again after SQLite
    /// re-prepared the statement for a schema change (`preparedCount`).
    private var columns: (columns: RowColumns, preparedCount: Int32)?

    init(connection: SQLiteConnection, sql: String) throws(StorageError) {
        var handle: OpaquePointer?
        let status = sqlite3_prepare_v3(
            connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard status == SQLITE_OK, let handle else {
            throw connection.error(status, sql: sql)
        }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Runs the statement to completion with `values`; returns the number of rows changed.
    @discardableResult
    public func execute(_ values: [DatabaseValue] = []) throws(StorageError) -> Int {
        try run { () throws(StorageError) in
            try bind(values)
            while try step() {}
        }
        return Int(sqlite3_changes(connection.handle))
    }

    /// Runs the statement with named values (`:name` in the SQL, given as `name`).
    @discardableResult
    public func execute(named values: [String: DatabaseValue]) throws(StorageError) -> Int {
        try run { () throws(StorageError) in
            try bind(named: values)
            while try step() {}
        }
        return Int(sqlite3_changes(connection.handle))
    }

    /// Every row the statement returns for `values`.
    public func query(_ values: [DatabaseValue] = []) throws(StorageError) -> [Row] {
        try run { () throws(StorageError) in
            try bind(values)
            return try rows()
        }
    }

    /// Every row the statement returns for named values.
    public func query(named values: [String: DatabaseValue]) throws(StorageError) -> [Row] {
        try run { () throws(StorageError) in
            try bind(named: values)
            return try rows()
        }
    }

    /// Runs `body` (bind and step), then resets the statement for its next use. The first error
    /// wins: a failed step's, else a failed reset's.
    private func run<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        connection.statementsRun += 1
        let result: T
        do throws(StorageError) {
            result = try body()
        } catch {
            _ = reset()
            throw error
        }
        let status = reset()
        guard status == SQLITE_OK else { throw connection.error(status, sql: sql) }
        return result
    }

    /// Steps through the bound statement. The columns are read after the first step, once
    /// SQLite has re-prepared the statement if the schema changed.
    private func rows() throws(StorageError) -> [Row] {
        var rows: [Row] = []
        guard try step() else { return rows }
        let columns = currentColumns()
        repeat {
            rows.append(Row(columns: columns, values: currentValues()))
        } while try step()
        return rows
    }

    private func bind(_ values: [DatabaseValue]) throws(StorageError) {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw StorageError(
                kind: .misuse, message: "expected \(expected) values, got \(values.count)",
                driverCode: String(SQLITE_RANGE), sql: sql)
        }
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
    }

    private func bind(named values: [String: DatabaseValue]) throws(StorageError) {
        let count = sqlite3_bind_parameter_count(handle)
        for index in 1...max(1, count) where count > 0 {
            guard let cName = sqlite3_bind_parameter_name(handle, index) else {
                throw StorageError(kind: .misuse, message: "positional parameter in a named statement", sql: sql)
            }
            let name = String(cString: cName).dropFirst()
            guard let value = values[String(name)] else {
                throw StorageError(
                    kind: .misuse, message: "no value for :\(name)", driverCode: String(SQLITE_RANGE), sql: sql)
            }
            try bind(value, at: index)
        }
    }
    private func bind(_ value: DatabaseValue, at index: Int32) throws(StorageError) {
        let status: Int32
        switch value {
        case .null:
            status = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            status = sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            status = sqlite3_bind_double(handle, index, real)
        case .text(let text):
            var text = text
            status = text.withUTF8 {
                sqlite3_bind_text(
                    handle, index,
                    UnsafeRawPointer($0.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                        .assumingMemoryBound(to: CChar.self), Int32($0.count), handoff_sqlite_transient())
            }
        case .blob(let bytes):
            status = bytes.withUnsafeBytes {
                sqlite3_bind_blob(
                    handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32($0.count),
                    handoff_sqlite_transient())
            }
        }
        guard status == SQLITE_OK else { throw connection.error(status, sql: sql) }
    }

    /// Advances one row: true when a row is available, false when done.
    private func step() throws(StorageError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw connection.error(status, sql: sql)
        }
    }

    /// Resets the statement and its bindings; SQLite's result (the last step's error, if it failed).
    private func reset() -> Int32 {
        let scanned = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1)
        if scanned > 0 { connection.fullScanSteps[sql, default: 0] += Int(scanned) }
        let status = sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        return status
    }

    private func currentColumns() -> RowColumns {
        let preparedCount = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        if let columns, columns.preparedCount == preparedCount { return columns.columns }
        let names = (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
        let current = RowColumns(names: names, sql: sql)
        columns = (current, preparedCount)
        return current
    }

    private func currentValues() -> [DatabaseValue] {
        (0..<sqlite3_column_count(handle)).map { index -> DatabaseValue in
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER:
                return .integer(sqlite3_column_int64(handle, index))
            case SQLITE_FLOAT:
                return .real(sqlite3_column_double(handle, index))
            case SQLITE_TEXT:
                let count = Int(sqlite3_column_bytes(handle, index))
                guard let pointer = sqlite3_column_text(handle, index) else { return .text("") }
                return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, index))
                guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
            default:
                return .null
            }
        }
    }
}
