public import DatabaseDriver

/// The SQL of wait-time notices: how long the customers waiting in a queue for a first human
/// answer have waited (since their oldest unanswered message, `awaiting_reply_since`), and which
/// of them have not had the notice (`wait_notice_sent_at`).
public struct WaitNoticeRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Since when the customer waiting longest in `queue` for a first human answer has waited;
    /// nil when nobody waits there.
    public func oldestWait(queue: String) throws(StorageError) -> Int64? {
        try connection.queryOne(
            """
            SELECT min(awaiting_reply_since) AS oldest FROM conversations
            WHERE queue = ? AND state = 'escalated' AND first_human_response_at IS NULL
                AND awaiting_reply_since IS NOT NULL
            """,
            [.text(queue)]
        )?.get("oldest")
    }

    /// The ids of the conversations waiting in `queue` for a first human answer whose customer
    /// has not had the notice, longest wait first.
    public func unnoticed(queue: String, limit: Int) throws(StorageError) -> [String] {
        try connection.query(
            """
            SELECT id FROM conversations
            WHERE queue = ? AND state = 'escalated' AND first_human_response_at IS NULL
                AND awaiting_reply_since IS NOT NULL AND wait_notice_sent_at IS NULL
            ORDER BY awaiting_reply_since LIMIT ?
            """,
            [.text(queue), .int(limit)]
        ).map { row throws(StorageError) in try row.get("id") }
    }

    /// Stamps the conversation's notice sent.
    public func markSent(conversationID: String, now: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE conversations SET wait_notice_sent_at = ? WHERE id = ?", [.integer(now), .text(conversationID)])
    }
}
