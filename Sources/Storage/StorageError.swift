internal import CSQLite

/// The one error type of Storage: what SQLite (or the migrator) refused, and why.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable snake_case code: `constraint`, `busy`, `full`, `io`, `corrupt`, `sqlite_error`, or a migrator
    /// code such as `migration_checksum_mismatch`.
    public var code: String
    public var message: String
    /// SQLite's extended result code (e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE); 0 for migrator errors.
    public var resultCode: Int32
    /// The statement that failed, when one did.
    public var sql: String?

    public init(code: String, message: String, resultCode: Int32 = 0, sql: String? = nil) {
        self.code = code
        self.message = message
        self.resultCode = resultCode
        self.sql = sql
    }

    /// True for a UNIQUE or PRIMARY KEY violation: the row already exists.
    public var isUniqueViolation: Bool {
        resultCode == Self.constraintUnique || resultCode == Self.constraintPrimaryKey
    }

    /// True when the storage could not take the write now but may later (locked by another
    /// process, disk full, I/O error): the request should be retried, nothing was stored.
    public var isTemporary: Bool { code == "busy" || code == "full" || code == "io" }

    /// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY: macros Swift does not import.
    static let constraintUnique: Int32 = 2067
    static let constraintPrimaryKey: Int32 = 1555

    public var description: String {
        var text = "\(code) (\(resultCode)): \(message)"
        if let sql { text += " [\(sql.prefix(200))]" }
        return text
    }

    /// The error for an extended result code, with SQLite's message.
    init(resultCode: Int32, message: String, sql: String?) {
        let code: String
        switch resultCode & 0xFF {
        case SQLITE_CONSTRAINT: code = "constraint"
        case SQLITE_BUSY, SQLITE_LOCKED: code = "busy"
        case SQLITE_FULL: code = "full"
        case SQLITE_IOERR: code = "io"
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = "corrupt"
        case SQLITE_CANTOPEN: code = "cannot_open"
        case SQLITE_READONLY: code = "read_only"
        case SQLITE_MISUSE, SQLITE_RANGE: code = "misuse"
        default: code = "sqlite_error"
        }
        self.init(code: code, message: message, resultCode: resultCode, sql: sql)
    }
}
