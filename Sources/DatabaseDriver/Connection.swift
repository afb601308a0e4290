/// One database connection as repositories and the migrator use it: SQL in, typed rows out.
///
/// The SQL is one text for every driver: `?` placeholders, bound in order (a driver whose
/// database numbers them, as PostgreSQL's `$1`, rewrites them), `INSERT … ON CONFLICT DO
/// NOTHING` instead of `INSERT OR IGNORE`, `RETURNING` or `insert(_:_:returningKey:)` instead of
/// a last-insert id, no `rowid`.
///
/// Not Sendable: a `Database` lends a connection to one closure at a time, on the queue or
/// thread that owns it; it must not escape that closure.
public protocol Connection: AnyObject {
    /// The database behind the connection, for the few statements whose SQL must differ.
    var dialect: SQLDialect { get }

    /// Runs one statement with `values` bound to its `?` placeholders, in order; returns the
    /// number of rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> Int

    /// Runs one statement with `values` bound to its `?` placeholders, in order; returns its rows
    /// (a SELECT, or a write with `RETURNING`).
    func query(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> [Row]

    /// Runs `sql`, an INSERT of one row without `RETURNING` or `ON CONFLICT`, and returns the new
    /// row's `key`: the table's `INTEGER PRIMARY KEY` (on SQLite its rowid). PostgreSQL runs it with
    /// `RETURNING key`; SQLite reads the rowid it just assigned, which spares the statement the
    /// temporary table SQLite fills for every `RETURNING`. An INSERT that inserts nothing throws.
    func insert(_ sql: String, _ values: [DatabaseValue], returningKey key: String) throws(StorageError) -> Int64

    /// Runs a script of statements without placeholders or results (a migration's file, a pragma).
    func execute(_ script: String) throws(StorageError)

    /// Runs `body` in a write transaction of its own: committed when it returns, rolled back when
    /// it throws. Only where no transaction is open, i.e. in `Database.withWriter` (migrations):
    /// `Database.write` and `read` run their bodies in one already.
    @discardableResult
    func transaction<T>(_ body: () throws -> T) throws -> T
}

/// Which database a `Connection` speaks to. The shared SQL differs only where a feature exists
/// on one side alone: row locks that skip what another transaction holds (`lockSkippingLocked`).
public enum SQLDialect: Sendable {
    case sqlite
    case postgresql

    /// Appended to a `SELECT` whose rows the transaction goes on to change: PostgreSQL's
    /// `FOR UPDATE SKIP LOCKED` (another node's transaction holds them: pass them by rather than
    /// wait), nothing on SQLite (one writer at a time: nothing to skip).
    public var lockSkippingLocked: String {
        switch self {
        case .sqlite: ""
        case .postgresql: "FOR UPDATE SKIP LOCKED"
        }
    }
}

extension Connection {
    /// The rows of a statement without placeholders.
    public func query(_ sql: String) throws(StorageError) -> [Row] { try query(sql, []) }

    /// The first row of `sql`, or nil when it returns none.
    public func queryOne(_ sql: String, _ values: [DatabaseValue] = []) throws(StorageError) -> Row? {
        try query(sql, values).first
    }
}
