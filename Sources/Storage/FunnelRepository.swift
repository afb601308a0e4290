public import DatabaseDriver

/// The stored facts of one conversation that the funnel report counts (API.md "Identity,
/// attribution, outcomes, reports"), read from the rows themselves so that a restart changes nothing.
public struct FunnelConversationFacts: Sendable, Equatable {
    public var id: String
    public var createdAt: Int64
    public var queue: String?
    public var campaign: String?
    /// The program, template and variant of the conversation's first proactive text (its
    /// earliest `outbound` row, whatever became of it); nil for a conversation without one.
    public var program: String?
    public var templateID: String?
    public var variant: String?
    /// The first offer shown or handoff requested (a verification created for the contact's
    /// session while the conversation was open); nil when neither happened.
    public var handoffOfferedAt: Int64?
    /// The first confirmed opt-in of the contact's sessions while the conversation was open.
    public var handoffVerifiedAt: Int64?
    public var sent: Bool
    public var delivered: Bool
    /// The customer texted after one of our texts.
    public var replied: Bool
    public var escalated: Bool
    public var resolved: Bool
    public var outcomes: Int
    public var revenueCents: Int64
    public var optedOut: Bool
}

/// One message of a conversation in the report, in history order: who wrote it and when.
public struct FunnelMessage: Sendable, Equatable {
    public var conversationID: String
    /// `visitor`, `bot`, `agent` or `system`.
    public var author: String
    public var createdAt: Int64

    public init(conversationID: String, author: String, createdAt: Int64) {
        self.conversationID = conversationID
        self.author = author
        self.createdAt = createdAt
    }
}

/// The SQL of the funnel report; portable between SQLite and PostgreSQL. Call it inside
/// `Database.read`.
public struct FunnelRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// The facts of every conversation created in [from, to), oldest first.
    public func conversations(from: Int64, to: Int64) throws(StorageError) -> [FunnelConversationFacts] {
        // A handoff belongs to the conversation of the session's contact that was open when it
        // was requested or confirmed.
        func during(_ alias: String) -> String {
            "s.contact_id = c.contact_id AND \(alias).created_at >= c.created_at "
                + "AND (c.closed_at IS NULL OR \(alias).created_at <= c.closed_at)"
        }
        let ourTexts = "m.conversation_id = c.id AND m.channel = 'sms' AND m.direction = 'outbound'"
        return try connection.query(
            """
            SELECT c.id, c.created_at, c.queue, c.campaign, o.program, o.template_id, o.variant,
              (SELECT min(h.created_at) FROM handoff_offers h WHERE h.conversation_id = c.id) AS offered_at,
              (SELECT min(v.created_at) FROM verifications v JOIN sessions s ON s.id = v.session_id
                WHERE \(during("v"))) AS requested_at,
              (SELECT min(k.created_at) FROM consents k JOIN sessions s ON s.id = k.session_id
                WHERE k.event = 'opt_in_confirmed' AND \(during("k"))) AS verified_at,
              CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE \(ourTexts)
                AND m.status IN ('sent', 'delivered', 'undelivered')) THEN 1 ELSE 0 END AS sent,
              CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE \(ourTexts)
                AND m.status = 'delivered') THEN 1 ELSE 0 END AS delivered,
              CASE WHEN EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = c.id AND r.channel = 'sms'
                AND r.direction = 'inbound' AND EXISTS (SELECT 1 FROM messages m WHERE \(ourTexts)
                AND m.seq < r.seq)) THEN 1 ELSE 0 END AS replied,
              CASE WHEN c.state = 'escalated' OR c.escalation_reason IS NOT NULL THEN 1 ELSE 0 END AS escalated,
              CASE WHEN c.resolution = 'resolved' THEN 1 ELSE 0 END AS resolved,
              (SELECT count(*) FROM outcomes x WHERE x.conversation_id = c.id) AS outcomes,
              (SELECT CAST(coalesce(sum(x.value_cents), 0) AS BIGINT) FROM outcomes x
                WHERE x.conversation_id = c.id) AS revenue_cents,
              CASE WHEN EXISTS (SELECT 1 FROM consents k WHERE k.contact_id = c.contact_id
                AND k.event = 'opt_out' AND k.created_at >= c.created_at)
                OR EXISTS (SELECT 1 FROM consents k WHERE k.phone_e164 = p.phone_e164
                AND k.event = 'opt_out' AND k.created_at >= c.created_at) THEN 1 ELSE 0 END AS opted_out
            FROM conversations c
            JOIN contacts p ON p.id = c.contact_id
            LEFT JOIN outbound o ON o.id = (SELECT f.id FROM outbound f WHERE f.conversation_id = c.id
                                            ORDER BY f.created_at, f.id LIMIT 1)
            WHERE c.created_at >= ? AND c.created_at < ?
            ORDER BY c.created_at, c.id
            """,
            [.integer(from), .integer(to)]
        ).map { (row) throws(StorageError) -> FunnelConversationFacts in
            let offered: Int64? = try row.get("offered_at")
            let requested: Int64? = try row.get("requested_at")
            return try FunnelConversationFacts(
                id: row.get("id"), createdAt: row.get("created_at"), queue: row.get("queue"),
                campaign: row.get("campaign"), program: row.get("program"), templateID: row.get("template_id"),
                variant: row.get("variant"),
                handoffOfferedAt: [offered, requested].compactMap { $0 }.min(),
                handoffVerifiedAt: row.get("verified_at"), sent: row.get("sent"), delivered: row.get("delivered"),
                replied: row.get("replied"), escalated: row.get("escalated"), resolved: row.get("resolved"),
                outcomes: row.get("outcomes"), revenueCents: row.get("revenue_cents"), optedOut: row.get("opted_out"))
        }
    }

    /// The messages of the conversations created in [from, to), each conversation's in history order.
    public func messages(from: Int64, to: Int64) throws(StorageError) -> [FunnelMessage] {
        try connection.query(
            """
            SELECT m.conversation_id, m.author, m.created_at FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            WHERE c.created_at >= ? AND c.created_at < ?
            ORDER BY m.conversation_id, m.seq
            """,
            [.integer(from), .integer(to)]
        ).map { (row) throws(StorageError) -> FunnelMessage in
            try FunnelMessage(
                conversationID: row.get("conversation_id"), author: row.get("author"), createdAt: row.get("created_at"))
        }
    }
}
