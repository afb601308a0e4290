internal import CSQLite
import DatabaseDriver

extension StorageError {
    /// The error for SQLite's extended result code `resultCode`, with its message.
    init(sqliteCode resultCode: Int32, message: String, sql: String?) {
        let kind: Kind
        switch resultCode & 0xFF {
        case SQLITE_CONSTRAINT:
            kind =
                resultCode == Self.constraintUnique || resultCode == Self.constraintPrimaryKey
                ? .uniqueViolation : .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: kind = .busy
        case SQLITE_FULL: kind = .full
        case SQLITE_IOERR: kind = .io
        case SQLITE_CORRUPT, SQLITE_NOTADB: kind = .corrupt
        case SQLITE_CANTOPEN: kind = .cannotOpen
        case SQLITE_READONLY: kind = .readOnly
        case SQLITE_MISUSE, SQLITE_RANGE: kind = .misuse
        default: kind = .other
        }
        self.init(kind: kind, message: message, driverCode: String(resultCode), sql: sql)
    }

    /// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY: macros Swift does not import.
    static let constraintUnique: Int32 = 2067
    static let constraintPrimaryKey: Int32 = 1555
}
