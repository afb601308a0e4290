public import DatabaseDriver

/// One "Can we text you the answer?" offer shown in a conversation.
public struct OfferRecord: Sendable, Equatable {
    public var id: String
    public var conversationID: String
    /// The session whose widget offered by itself; nil for offers by bots and agents.
    public var sessionID: String?
    /// `slow_answer`, `tab_hidden`, `agent` or `bot`.
    public var reason: String
    /// The visitor's question the widget's offer answers.
    public var questionMessageID: String?
    /// `shown`, `declined` or `accepted`.
    public var state: String
    public var createdAt: Int64
    public var answeredAt: Int64?

    public init(
        id: String, conversationID: String, sessionID: String?, reason: String, questionMessageID: String?,
        state: String = "shown", createdAt: Int64, answeredAt: Int64? = nil
    ) {
        self.id = id
        self.conversationID = conversationID
        self.sessionID = sessionID
        self.reason = reason
        self.questionMessageID = questionMessageID
        self.state = state
        self.createdAt = createdAt
        self.answeredAt = answeredAt
    }
}

/// The SQL of handoff offers: storing them, a visitor's refusal, and the offer a verification answers.
public struct OfferRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Stores the offer; false when its question already had one (nothing is written).
    public func insert(_ offer: OfferRecord) throws(StorageError) -> Bool {
        try connection.execute(
            """
            INSERT INTO handoff_offers (id, conversation_id, session_id, reason, question_message_id, state,
                created_at, answered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [
                .text(offer.id), .text(offer.conversationID), .optionalText(offer.sessionID), .text(offer.reason),
                .optionalText(offer.questionMessageID), .text(offer.state), .integer(offer.createdAt),
                .optionalInteger(offer.answeredAt),
            ]) == 1
    }

    public func offer(id: String) throws(StorageError) -> OfferRecord? {
        try connection.queryOne("SELECT * FROM handoff_offers WHERE id = ?", [.text(id)]).map(Self.offer)
    }

    /// Whether the visitor of this session said "No thanks" to an offer.
    public func declined(sessionID: String) throws(StorageError) -> Bool {
        try connection.queryOne(
            "SELECT 1 AS found FROM handoff_offers WHERE session_id = ? AND state = 'declined' LIMIT 1",
            [.text(sessionID)]) != nil
    }

    /// Records the visitor's "No thanks", as the refusal of `sessionID` (whoever made the offer).
    public func decline(id: String, sessionID: String, now: Int64) throws(StorageError) {
        try connection.execute(
            """
            UPDATE handoff_offers SET state = 'declined', answered_at = ?, session_id = coalesce(session_id, ?)
            WHERE id = ? AND state = 'shown'
            """,
            [.integer(now), .text(sessionID), .text(id)])
    }

    /// Marks the newest offer still shown in the conversation as accepted (the phone is verified)
    /// and returns it, or nil when none was shown.
    public func acceptLatest(conversationID: String, now: Int64) throws(StorageError) -> OfferRecord? {
        try connection.query(
            """
            UPDATE handoff_offers SET state = 'accepted', answered_at = ?
            WHERE id = (SELECT id FROM handoff_offers WHERE conversation_id = ? AND state = 'shown'
                        ORDER BY created_at DESC, id DESC LIMIT 1)
            RETURNING *
            """,
            [.integer(now), .text(conversationID)]
        ).first.map(Self.offer)
    }

    private static func offer(_ row: Row) throws(StorageError) -> OfferRecord {
        try OfferRecord(
            id: row.get("id"), conversationID: row.get("conversation_id"), sessionID: row.get("session_id"),
            reason: row.get("reason"), questionMessageID: row.get("question_message_id"), state: row.get("state"),
            createdAt: row.get("created_at"), answeredAt: row.get("answered_at"))
    }
}
