/// The one error type of storage, whatever the driver: what the database (or the migrator)
/// refused, and why. Callers decide by `kind`; `driverCode` and `message` are for people.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as callers need to tell it apart.
    public enum Kind: Sendable, Hashable {
        /// Locked by another connection or process, or in conflict with another transaction:
        /// nothing was stored; running it again soon may succeed.
        case busy
        /// Out of disk or memory: nothing was stored.
        case full
        /// Reading or writing the disk failed (or an earlier flush did, see `LogSync`).
        case io
        /// No connection to the database server (down, restarting, lost): nothing was stored.
        case unavailable
        /// A UNIQUE or PRIMARY KEY constraint refused the write: the row already exists.
        case uniqueViolation
        /// Another constraint (foreign key, check, not null) or a trigger refused the write.
        case constraint
        /// The database file or an index is damaged, or the file is not a database.
        case corrupt
        /// The database cannot be opened (no such file or folder, no permission).
        case cannotOpen
        /// The database or the connection is read-only.
        case readOnly
        /// Our bug: the wrong number of values for a statement's placeholders, an API used out of order.
        case misuse
        /// A row lacks the column read, or holds NULL or another type there: the SQL and the code disagree.
        case decoding
        /// The migrations and the database disagree (see `MigrationProblem`).
        case migration(MigrationProblem)
        /// Anything else the database refused (SQL it cannot run, an unknown table...).
        case other
    }

    /// Why the migrator refused to run.
    public enum MigrationProblem: String, Sendable, Hashable {
        /// The folder or a file in it cannot be read.
        case unreadable = "migrations_unreadable"
        /// A file is not named `NNNN_description.sql`.
        case badName = "migration_bad_name"
        /// Two files share a version.
        case duplicateVersion = "migration_duplicate_version"
        /// A migration's SQL failed; it was rolled back.
        case failed = "migration_failed"
        /// An applied migration's file is gone.
        case missing = "migration_missing"
        /// An applied migration's file was edited.
        case checksumMismatch = "migration_checksum_mismatch"
        /// The database has migrations newer than the files: a newer binary migrated it.
        case databaseNewer = "database_newer_than_migrations"
    }

    public var kind: Kind
    public var message: String
    /// The driver's own code for the failure, for logs: SQLite's extended result code (`2067`
    /// for SQLITE_CONSTRAINT_UNIQUE), PostgreSQL's SQLSTATE (`23505`); nil when the driver gave none.
    public var driverCode: String?
    /// The statement that failed, when one did.
    public var sql: String?

    public init(kind: Kind, message: String, driverCode: String? = nil, sql: String? = nil) {
        self.kind = kind
        self.message = message
        self.driverCode = driverCode
        self.sql = sql
    }

    /// What `Connection.insert(_:_:returningKey:)` throws, in every driver, when its INSERT
    /// inserted no row to read `key` of.
    public static func noRowInserted(key: String, sql: String) -> StorageError {
        StorageError(kind: .decoding, message: "the INSERT inserted no row to read \"\(key)\" of", sql: sql)
    }

    /// True when the storage could not take the write now but may later (locked, disk full, I/O,
    /// server unreachable): the request should be retried, nothing was stored.
    public var isTemporary: Bool {
        switch kind {
        case .busy, .full, .io, .unavailable: true
        default: false
        }
    }

    /// The kind as a stable snake_case word, for logs.
    public var code: String {
        switch kind {
        case .busy: "busy"
        case .full: "full"
        case .io: "io"
        case .unavailable: "unavailable"
        case .uniqueViolation: "unique_violation"
        case .constraint: "constraint"
        case .corrupt: "corrupt"
        case .cannotOpen: "cannot_open"
        case .readOnly: "read_only"
        case .misuse: "misuse"
        case .decoding: "decoding"
        case .migration(let problem): problem.rawValue
        case .other: "other"
        }
    }

    public var description: String {
        var text = code
        if let driverCode { text += " (\(driverCode))" }
        text += ": \(message)"
        if let sql { text += " [\(sql.prefix(200))]" }
        return text
    }
}
