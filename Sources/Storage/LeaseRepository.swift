public import DatabaseDriver

/// The `leases` table: work that runs on one node of the cluster at a time holds a row named
/// after it, with its holder and until when (Unix ms). Taking, renewing and giving a lease back
/// are one statement each, so two nodes that try at once cannot both hold it.
public struct LeaseRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Takes the lease `name` for `holder` until `until`, or renews it when `holder` holds it
    /// already; true when `holder` holds it now. Another holder's lease is taken only once it ran
    /// out (at `now` or before).
    public func acquire(_ name: String, holder: String, until: Int64, now: Int64) throws(StorageError) -> Bool {
        try !connection.query(
            """
            INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
            ON CONFLICT (name) DO UPDATE SET holder = ?2, until = ?3
            WHERE leases.holder = ?2 OR leases.until <= ?4
            RETURNING holder
            """,
            [.text(name), .text(holder), .integer(until), .integer(now)]
        ).isEmpty
    }

    /// Gives the lease `name` back when `holder` holds it, so that another node need not wait for
    /// it to run out; false when `holder` did not hold it.
    @discardableResult
    public func release(_ name: String, holder: String) throws(StorageError) -> Bool {
        try connection.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [.text(name), .text(holder)]) == 1
    }

    /// Who holds the lease `name` and until when, if anyone ever took it.
    public func holder(of name: String) throws(StorageError) -> (holder: String, until: Int64)? {
        guard let row = try connection.queryOne("SELECT holder, until FROM leases WHERE name = ?", [.text(name)])
        else { return nil }
        return try (row.get("holder"), row.get("until"))
    }
}
