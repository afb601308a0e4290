public import DatabaseDriver

/// Wrong keys per client address, in one-minute windows (`key_failures`): the guessing limit that
/// every node sharing the database enforces together.
public struct KeyFailureRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// The wrong keys `address` sent for `scope` in the window that is open at `now` (a window
    /// opened at or after `now - window`), and when that window opened; nil when none.
    public func current(scope: String, address: String, now: Int64, window: Int64) throws(StorageError)
        -> (failures: Int, windowStart: Int64)?
    {
        guard
            let row = try connection.queryOne(
                "SELECT failures, window_start FROM key_failures WHERE scope = ? AND address = ? AND window_start > ?",
                [.text(scope), .text(address), .integer(now - window)])
        else { return nil }
        return (try row.get("failures"), try row.get("window_start"))
    }

    /// Counts one wrong key: in the open window, or in a new one from `now` when it closed.
    /// Returns the window's count and start, as stored.
    @discardableResult
    public func record(scope: String, address: String, now: Int64, window: Int64) throws(StorageError)
        -> (failures: Int, windowStart: Int64)
    {
        let row = try connection.queryOne(
            """
            INSERT INTO key_failures (scope, address, window_start, failures) VALUES (?, ?, ?, 1)
            ON CONFLICT (scope, address) DO UPDATE SET
                failures = CASE WHEN key_failures.window_start > ? THEN key_failures.failures + 1 ELSE 1 END,
                window_start = CASE WHEN key_failures.window_start > ? THEN key_failures.window_start
                    ELSE excluded.window_start END
            RETURNING failures, window_start
            """,
            [.text(scope), .text(address), .integer(now), .integer(now - window), .integer(now - window)])
        guard let row else { throw StorageError(kind: .misuse, message: "key_failures upsert returned no row") }
        return (try row.get("failures"), try row.get("window_start"))
    }

    /// Deletes windows that opened before `cutoff`; returns how many.
    public func purge(before cutoff: Int64, limit: Int) throws(StorageError) -> Int {
        try connection.execute(
            """
            DELETE FROM key_failures WHERE (scope, address) IN (
                SELECT scope, address FROM key_failures WHERE window_start < ? LIMIT ?)
            """,
            [.integer(cutoff), .int(limit)])
    }
}
