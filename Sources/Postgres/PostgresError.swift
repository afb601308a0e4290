/// What PostgreSQL or libpq refused, classified so that callers decide by `kind`, not by message.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The storage error kinds, each a stable snake_case code.
    public enum Kind: String, Sendable, Equatable {
        /// An integrity constraint (unique, foreign key, check, not null, exclusion) or a trigger's
        /// RAISE EXCEPTION refused the write; `isUniqueViolation` tells the row already exists.
        case constraint
        /// Serialization failure, deadlock, lock not available, snapshot too old: nothing was
        /// committed; running the transaction again may succeed.
        case conflict
        /// Out of disk, memory or another server resource.
        case full
        /// No usable connection: the server is down, restarting, shutting down, refused the
        /// connection, or is a read-only standby; or the connection was lost (its outcome unknown
        /// when that happened during COMMIT).
        case unavailable
        /// A value the server cannot take: out of range, malformed, wrong encoding.
        case invalidData = "invalid_data"
        /// The statement was cancelled (statement_timeout, lock_timeout, pg_cancel_backend).
        case canceled
        /// Wrong connection URI, credentials, database or privileges: an operator must act.
        case configuration
        /// The server's own I/O failed.
        case io
        /// The server found corrupted data or an index.
        case corrupt
        /// Our bug: SQL syntax, an unknown table or column, a type mismatch, a missing or mistyped
        /// column in a result, misuse of a transaction.
        case bug
    }

    public var kind: Kind
    /// The five-character SQLSTATE the server sent; nil for errors of libpq or of this module.
    public var sqlState: String?
    public var message: String
    /// The server's DETAIL line, when it sent one.
    public var detail: String?
    /// The constraint that refused the write, for constraint errors.
    public var constraint: String?
    /// The statement that failed, when one did.
    public var sql: String?

    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil,
        sql: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.sql = sql
    }

    /// True for 23505: a UNIQUE or PRIMARY KEY violation, the row already exists.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// True when nothing was stored and trying again later may work (conflict, unavailable, full, io).
    public var isTemporary: Bool { [.conflict, .unavailable, .full, .io].contains(kind) }

    public var description: String {
        var text = "\(kind.rawValue)"
        if let sqlState { text += " (\(sqlState))" }
        text += ": \(message)"
        if let detail { text += " — \(detail)" }
        if let sql { text += " [\(sql.prefix(200))]" }
        return text
    }
}

extension PostgresError.Kind {
    /// The kind of a SQLSTATE (PostgreSQL's Appendix A), by class and the exceptions within a class.
    public init(sqlState: String) {
        switch sqlState {
        case "25006": self = .unavailable  // read_only_sql_transaction: a standby, or a failover in progress
        case "40002", "27000", "44000": self = .constraint  // constraint at commit, triggered change, check option
        case "40003": self = .unavailable  // statement_completion_unknown
        case "42501": self = .configuration  // insufficient_privilege
        case "53300": self = .unavailable  // too_many_connections
        case "55P03", "55006": self = .conflict  // lock_not_available, object_in_use
        case "57014": self = .canceled  // query_canceled
        case "57P04": self = .configuration  // database_dropped
        case "P0001": self = .constraint  // raise_exception: a trigger refused, as SQLite's RAISE(ABORT)
        case "XX001", "XX002": self = .corrupt  // data_corrupted, index_corrupted
        case "72000": self = .conflict  // snapshot_too_old
        default:
            switch sqlState.prefix(2) {
            case "08": self = .unavailable  // connection exception
            case "22": self = .invalidData  // data exception
            case "23": self = .constraint  // integrity constraint violation
            case "28", "3D", "0L", "0P", "F0": self = .configuration  // authorization, catalog, role, config file
            case "40": self = .conflict  // transaction rollback: serialization failure, deadlock
            case "53": self = .full  // insufficient resources: disk full, out of memory
            case "57": self = .unavailable  // operator intervention: shutdown, crash, cannot connect now
            case "58": self = .io  // system error
            // 03, 0A, 0B, 0F, 0Z, 20, 21, 24, 25, 26, 2B, 2D, 2F, 34, 38, 39, 3B, 3F, 42, 54, 55, HV, P0, XX
            default: self = .bug
            }
        }
    }
}
