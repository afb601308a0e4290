public import DatabaseDriver

/// The SQL of the retention policy: what repeats message bodies goes after the cutoff, in small
/// batches; consent records and suppressions are never touched (they are legal proof).
public struct RetentionRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Purges up to `limit` rows of each kind older than `cutoff` (Unix ms): message bodies and
    /// media are emptied (the message, its author and time stay, so the history keeps its shape),
    /// and the event log, raw inbound webhooks, verifications, finished outbox rows that carry
    /// bodies or numbers, and the client addresses of old wrong keys are deleted. Returns the rows
    /// touched; 0 means nothing is left.
    public func purge(before cutoff: Int64, now: Int64, limit: Int) throws(StorageError) -> Int {
        var touched = try connection.execute(
            """
            UPDATE messages SET body = '', media = NULL, purged_at = ?
            WHERE seq IN (SELECT seq FROM messages WHERE purged_at IS NULL AND created_at < ? LIMIT ?)
            """,
            [.integer(now), .integer(cutoff), .int(limit)])
        touched += try connection.execute(
            """
            DELETE FROM conversation_events
            WHERE seq IN (SELECT seq FROM conversation_events WHERE created_at < ? LIMIT ?)
            """,
            [.integer(cutoff), .int(limit)])
        touched += try connection.execute(
            """
            DELETE FROM inbound_events WHERE provider_event_id IN (
                SELECT provider_event_id FROM inbound_events WHERE received_at < ? LIMIT ?)
            """,
            [.integer(cutoff), .int(limit)])
        touched += try connection.execute(
            """
            DELETE FROM verifications WHERE id IN (
                SELECT id FROM verifications WHERE created_at < ? AND state <> 'pending' LIMIT ?)
            """,
            [.integer(cutoff), .int(limit)])
        touched += try OutboxRepository(connection).purgeFinished(before: cutoff, limit: limit)
        touched += try KeyFailureRepository(connection).purge(before: cutoff, limit: limit)
        return touched
    }
}
