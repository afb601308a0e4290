internal import CPostgres

/// One libpq connection handle and its prepared statements. It exists only inside the closures
/// of `PostgresConnection.withSession` and `PostgresPool.withSession`, which run on the
/// connection's serial queue: it is not Sendable, so it can neither escape nor be used by two
/// threads at once (libpq's rule).
public final class PostgresSession {
    /// The PGconn; nil once closed.
    private var handle: OpaquePointer?
    /// Prepared statement names by SQL and parameter types. The statements are our fixed strings,
    /// so the cache stays small; it lives as long as the server connection does.
    private var statements: [StatementKey: String] = [:]

    /// The last error the server sent on this connection (with its DETAIL, which callers of the
    /// seam do not see), for `PostgresDatabase`'s report of a conflict.
    private(set) var lastError: PostgresError?

    private struct StatementKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    init() {}

    deinit { close() }

    /// True when the connection is closed or lost: the pool replaces it.
    public var isBroken: Bool { handle.map { PQstatus($0) != CONNECTION_OK } ?? true }

    /// The server process serving this connection (`pg_backend_pid()`).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// Runs `sql` as a prepared statement (prepared on first use, then reused) with `parameters`
    /// for `$1`, `$2`... (or for `?`, rewritten once when prepared); returns its rows, if any.
    @discardableResult
    public func execute(
        _ sql: String, _ parameters: [PostgresValue] = [], placeholders: PostgresPlaceholders = .numbered
    ) throws(PostgresError) -> PostgresResult {
        let handle = try liveHandle(sql)
        let key = StatementKey(
            sql: sql, types: parameters.map { if case .bytea = $0 { PostgresType.bytea } else { 0 } })
        let name: String
        if let prepared = statements[key] {
            name = prepared
        } else {
            name = "handoff_\(statements.count)"
            let result = key.types.withUnsafeBufferPointer {
                PQprepare(handle, name, placeholders.rewrite(sql), Int32(parameters.count), $0.baseAddress)
            }
            _ = try check(result, sql: sql)
            statements[key] = name
        }
        var arguments = CStrings()
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                arguments.appendNull()
                lengths.append(0)
                formats.append(0)
            case .bytea(let bytes):
                arguments.append(bytes, terminated: false)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            case .integer, .real, .text:
                let text = Array(parameter.parameterText!.utf8)
                guard !text.contains(0) else {
                    throw PostgresError(kind: .invalidData, message: "text parameter contains a NUL byte", sql: sql)
                }
                arguments.append(text, terminated: true)
                lengths.append(Int32(text.count))
                formats.append(0)
            }
        }
        let result = arguments.withPointers { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
        }
        return try check(result, sql: sql)
    }

    /// Runs `body` in a transaction: BEGIN (and `lock`, in the same round trip, before the first
    /// query), then COMMIT when it returns, ROLLBACK when it throws.
    /// Throws `.bug` without committing when a statement failed inside and `body` caught the error
    /// (PostgreSQL would turn that COMMIT into a ROLLBACK), or when a transaction is already open.
    @discardableResult
    public func transaction<T>(
        _ mode: PostgresTransactionMode = .readWrite, locking lock: PostgresTableLock? = nil,
        _ body: (PostgresSession) throws -> T
    ) throws -> T {
        guard let handle = try? liveHandle("BEGIN"), PQtransactionStatus(handle) == PQTRANS_IDLE else {
            throw PostgresError(kind: isBroken ? .unavailable : .bug, message: "cannot begin: no idle connection")
        }
        do {
            try executeScript(lock.map { "\(mode.begin); \($0.sql)" } ?? mode.begin)
        } catch {
            rollbackIfOpen()
            throw error
        }
        do {
            let value = try body(self)
            guard PQtransactionStatus(handle) != PQTRANS_INERROR else {
                throw PostgresError(kind: .bug, message: "a statement failed inside the transaction; rolled back")
            }
            try executeScript("COMMIT")
            return value
        } catch {
            rollbackIfOpen()
            throw error
        }
    }

    /// Runs `sql` through the simple query protocol, without parameters or results: one
    /// statement or several (a migration's file, BEGIN, LISTEN...).
    public func executeScript(_ sql: String) throws(PostgresError) {
        let handle = try liveHandle(sql)
        _ = try check(PQexec(handle, sql), sql: sql)
    }

    /// Ends a transaction a lease or a failed body left open, so that the next user starts clean.
    func rollbackIfOpen() {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        try? executeScript("ROLLBACK")
    }

    /// Reads what the server sent meanwhile without waiting; false when that shows the connection
    /// lost (the server shut down, or the backend was terminated while the connection was idle).
    func isAlive() -> Bool {
        guard let handle else { return false }
        // A terminated backend sends FATAL, then EOF: two reads. The bound only guards a server
        // that keeps sending to an idle connection.
        for _ in 0..<4 where PQstatus(handle) == CONNECTION_OK && handoff_pq_socket_readable(handle) != 0 {
            guard PQconsumeInput(handle) != 0 else { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Opens the connection; the URI's options (sslmode, sslrootcert, connect_timeout...) go to
    /// libpq as they are and win over the defaults set here.
    func open(_ uri: String) throws(PostgresError) {
        try Self.validate(uri: uri)
        var keywords = CStrings()
        var values = CStrings()
        let settings = [
            ("client_encoding", "UTF8"), ("connect_timeout", "10"), ("application_name", "handoff"), ("dbname", uri),
        ]
        for (keyword, value) in settings {
            keywords.append(Array(keyword.utf8), terminated: true)
            values.append(Array(value.utf8), terminated: true)
        }
        keywords.appendNull()
        values.appendNull()
        let connection = keywords.withPointers { keywords in
            values.withPointers { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw PostgresError(kind: .full, message: "libpq: out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = trimmed(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            // libpq gives no SQLSTATE for a refused connection; the server's FATAL texts tell these apart.
            let refused = [
                "authentication failed", "does not exist", "no pg_hba.conf entry", "permission denied",
                "does not support SSL",
            ]
            let kind: PostgresError.Kind =
                refused.contains(where: message.contains) ? .configuration : .unavailable
            throw PostgresError(kind: kind, message: "cannot connect: \(message)")
        }
        PQsetNoticeProcessor(connection, handoff_pq_ignore_notice, nil)
        handle = connection
    }

    /// Throws `.configuration` when libpq cannot parse `uri` (a malformed URI, an unknown option).
    static func validate(uri: String) throws(PostgresError) {
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(uri, &parseError) else {
            let message = parseError.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(parseError)
            throw PostgresError(kind: .configuration, message: "invalid connection URI: \(trimmed(message))")
        }
        PQconninfoFree(options)
    }

    /// Closes the connection; later calls throw `.unavailable`.
    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        statements = [:]
    }

    /// The socket libpq reads, for a Dispatch read source; -1 when closed.
    var socket: Int32 { handle.map { PQsocket($0) } ?? -1 }

    /// Reads what the socket holds and returns the notifications received, in order; throws
    /// `.unavailable` when the connection is lost.
    func receiveNotifications() throws(PostgresError) -> [PostgresNotification] {
        let handle = try liveHandle("LISTEN")
        guard PQconsumeInput(handle) != 0 else {
            throw PostgresError(kind: .unavailable, message: trimmed(String(cString: PQerrorMessage(handle))))
        }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(handle) {
            let fields = notification.pointee
            received.append(
                PostgresNotification(
                    channel: String(cString: fields.relname), payload: String(cString: fields.extra),
                    backendPID: fields.be_pid))
            PQfreemem(notification)
        }
        return received
    }

    private func liveHandle(_ sql: String) throws(PostgresError) -> OpaquePointer {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .unavailable, message: "the connection is closed or lost", sql: sql)
        }
        return handle
    }

    /// The result's rows, or the error it carries (the result is freed either way).
    private func check(_ result: OpaquePointer?, sql: String) throws(PostgresError) -> PostgresResult {
        guard let result else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError(kind: isBroken ? .unavailable : .full, message: trimmed(message), sql: sql)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.copy(result)
        default:
            func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
            let sqlState = field(handoff_pq_diag_sqlstate())
            let message =
                field(handoff_pq_diag_message_primary()) ?? trimmed(String(cString: PQresultErrorMessage(result)))
            // A lost connection is unavailable whatever the server said last (57P01 on pg_terminate_backend).
            let kind: PostgresError.Kind =
                isBroken ? .unavailable : sqlState.map(PostgresError.Kind.init(sqlState:)) ?? .bug
            let error = PostgresError(
                kind: kind, sqlState: sqlState, message: message, detail: field(handoff_pq_diag_message_detail()),
                constraint: field(handoff_pq_diag_constraint_name()), sql: sql)
            lastError = error
            throw error
        }
    }

    private static func copy(_ result: OpaquePointer) -> PostgresResult {
        let columns = (0..<PQnfields(result)).map {
            PostgresResult.Column(name: String(cString: PQfname(result, $0)), typeOID: PQftype(result, $0))
        }
        let rows = (0..<PQntuples(result)).map { row in
            PostgresRow(
                values: columns.indices.map { column in
                    let index = Int32(column)
                    guard PQgetisnull(result, row, index) == 0 else { return .null }
                    return decode(
                        PQgetvalue(result, row, index), length: PQgetlength(result, row, index),
                        type: columns[column].typeOID)
                })
        }
        return PostgresResult(
            columns: columns, rows: rows, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    /// A value in text format, as its type reads.
    private static func decode(_ value: UnsafeMutablePointer<CChar>, length: Int32, type: UInt32) -> PostgresValue {
        let text = String(
            decoding: UnsafeRawBufferPointer(start: value, count: Int(length)).bindMemory(to: UInt8.self), as: UTF8.self
        )
        switch type {
        case PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid:
            return Int64(text).map(PostgresValue.integer) ?? .text(text)
        case PostgresType.float4, PostgresType.float8:
            return Double(text).map(PostgresValue.real) ?? .text(text)
        case PostgresType.bool:
            return .integer(text == "t" ? 1 : 0)
        case PostgresType.bytea:
            var count = 0
            guard
                let bytes = value.withMemoryRebound(
                    to: UInt8.self, capacity: Int(length) + 1,
                    {
                        PQunescapeBytea($0, &count)
                    })
            else { return .text(text) }
            defer { PQfreemem(bytes) }
            return .bytea(Array(UnsafeBufferPointer(start: bytes, count: count)))
        default:
            return .text(text)
        }
    }

}

/// How a transaction begins.
public enum PostgresTransactionMode: Sendable {
    /// READ COMMITTED, the server's default: each statement sees what committed before it.
    case readWrite
    /// REPEATABLE READ, READ ONLY: every statement sees the snapshot the first one took.
    case readOnlySnapshot
    /// SERIALIZABLE: the outcome is that of some one-at-a-time order of the transactions, or the
    /// server refuses one with 40001 (run it again).
    case serializable

    var begin: String {
        switch self {
        case .readWrite: "BEGIN"
        case .readOnlySnapshot: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}

/// A table lock a transaction takes before its first query: a REPEATABLE READ or SERIALIZABLE
/// transaction's snapshot then comes after the transactions it waited for.
public struct PostgresTableLock: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// What writes take (INSERT, UPDATE, DELETE); they share it.
        case rowExclusive = "ROW EXCLUSIVE"
        /// Waits for every ROW EXCLUSIVE holder and holds new ones back; plain reads go on.
        case exclusive = "EXCLUSIVE"
    }

    public var table: String
    public var mode: Mode

    public init(table: String, mode: Mode) {
        self.table = table
        self.mode = mode
    }

    var sql: String { "LOCK TABLE \"\(table.replacing("\"", with: "\"\""))\" IN \(mode.rawValue) MODE" }
}

/// libpq's messages end with a newline.
private func trimmed(_ message: String) -> String {
    String(message.reversed().drop(while: \.isNewline).reversed())
}

@available(*, unavailable, message: "a session is used by one thread at a time, inside withSession")
extension PostgresSession: Sendable {}

/// NUL-terminated strings (or raw bytes) in one buffer, passed to libpq as an array of pointers.
struct CStrings {
    private var bytes: [UInt8] = []
    private var offsets: [Int?] = []

    mutating func append(_ value: [UInt8], terminated: Bool) {
        offsets.append(bytes.count)
        bytes += value
        if terminated { bytes.append(0) }
    }

    mutating func appendNull() { offsets.append(nil) }

    func withPointers<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        (bytes.isEmpty ? [0] : bytes).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                body(offsets.map { $0.map { characters.baseAddress! + $0 } })
            }
        }
    }
}
