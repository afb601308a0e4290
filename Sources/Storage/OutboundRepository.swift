public import DatabaseDriver

/// A proactive text a business asked for (API.md "Proactive texts").
public struct OutboundRecord: Sendable, Equatable {
    public var id: String
    public var toE164: String
    public var contactID: String
    public var conversationID: String
    public var program: String
    public var templateID: String
    public var templateVersion: Int
    public var variant: String?
    public var campaign: String?
    /// The text as rendered when the request was accepted.
    public var body: String
    /// `scheduled` (no message yet), `released` (its message carries the delivery status),
    /// `canceled`, or `suppressed` (STOP or the end of consent came before its time).
    public var state: String
    public var messageID: String?
    public var sendAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, toE164: String, contactID: String, conversationID: String, program: String, templateID: String,
        templateVersion: Int, variant: String?, campaign: String?, body: String, state: String, messageID: String?,
        sendAt: Int64, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.toE164 = toE164
        self.contactID = contactID
        self.conversationID = conversationID
        self.program = program
        self.templateID = templateID
        self.templateVersion = templateVersion
        self.variant = variant
        self.campaign = campaign
        self.body = body
        self.state = state
        self.messageID = messageID
        self.sendAt = sendAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The SQL of proactive texts.
public struct OutboundRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Stores the text; false, writing nothing, when `clientKey` was used before.
    public func insert(_ outbound: OutboundRecord, clientKey: String?) throws(StorageError) -> Bool {
        try connection.execute(
            """
            INSERT INTO outbound (id, to_e164, contact_id, conversation_id, program, template_id, template_version,
                variant, campaign, body, state, message_id, send_at, client_key, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [
                .text(outbound.id), .text(outbound.toE164), .text(outbound.contactID), .text(outbound.conversationID),
                .text(outbound.program), .text(outbound.templateID), .int(outbound.templateVersion),
                .optionalText(outbound.variant), .optionalText(outbound.campaign), .text(outbound.body),
                .text(outbound.state), .optionalText(outbound.messageID), .integer(outbound.sendAt),
                .optionalText(clientKey), .integer(outbound.createdAt), .integer(outbound.updatedAt),
            ]) == 1
    }

    public func outbound(id: String) throws(StorageError) -> OutboundRecord? {
        try connection.queryOne("SELECT * FROM outbound WHERE id = ?", [.text(id)]).map(Self.outbound)
    }

    public func outbound(clientKey: String) throws(StorageError) -> OutboundRecord? {
        try connection.queryOne("SELECT * FROM outbound WHERE client_key = ?", [.text(clientKey)]).map(Self.outbound)
    }

    /// The first proactive text of a conversation (its earliest, whatever became of it): where the
    /// conversation came from, as the funnel report attributes it.
    public func first(conversationID: String) throws(StorageError) -> OutboundRecord? {
        try connection.queryOne(
            "SELECT * FROM outbound WHERE conversation_id = ? ORDER BY created_at, id LIMIT 1", [.text(conversationID)]
        ).map(Self.outbound)
    }

    /// When the texts of `program` to `phone` that count against its cap were (or are) due, oldest
    /// first, from `since` on.
    public func sendTimes(to phone: String, program: String, since: Int64) throws(StorageError) -> [Int64] {
        try connection.query(
            """
            SELECT send_at FROM outbound
            WHERE to_e164 = ? AND program = ? AND send_at >= ? AND state IN ('scheduled', 'released')
            ORDER BY send_at
            """, [.text(phone), .text(program), .integer(since)]
        ).map { row throws(StorageError) in try row.get("send_at") }
    }

    /// The texts to `phone` due since `since` that have left (their message is sending, sent or
    /// delivered), newest first: the ones a reply can answer.
    public func answerable(to phone: String, since: Int64, limit: Int = 20) throws(StorageError) -> [OutboundRecord] {
        try connection.query(
            """
            SELECT o.* FROM outbound o JOIN messages m ON m.id = o.message_id
            WHERE o.to_e164 = ? AND o.state = 'released' AND o.send_at >= ?
                AND m.status IN ('sending', 'sent', 'delivered')
            ORDER BY o.send_at DESC, o.created_at DESC LIMIT ?
            """, [.text(phone), .integer(since), .int(limit)]
        ).map(Self.outbound)
    }

    /// The newest text to `phone` in `conversationID` released and due since `since`, if any.
    public func latestReleased(to phone: String, conversationID: String, since: Int64) throws(StorageError)
        -> OutboundRecord?
    {
        try connection.queryOne(
            """
            SELECT * FROM outbound
            WHERE to_e164 = ? AND conversation_id = ? AND state = 'released' AND send_at >= ?
            ORDER BY send_at DESC, created_at DESC LIMIT 1
            """, [.text(phone), .text(conversationID), .integer(since)]
        ).map(Self.outbound)
    }

    /// Scheduled texts due by `now`, soonest first.
    public func due(now: Int64, limit: Int) throws(StorageError) -> [OutboundRecord] {
        try connection.query(
            "SELECT * FROM outbound WHERE state = 'scheduled' AND send_at <= ? ORDER BY send_at LIMIT ?",
            [.integer(now), .int(limit)]
        ).map(Self.outbound)
    }

    /// When the next scheduled text is due, if any.
    public func nextDue() throws(StorageError) -> Int64? {
        try connection.queryOne("SELECT min(send_at) AS next FROM outbound WHERE state = 'scheduled'")?.get("next")
    }

    /// Moves a scheduled text to `state` (with its message once released); false when it was no
    /// longer scheduled.
    public func settle(id: String, state: String, messageID: String?, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE outbound SET state = ?, message_id = ?, updated_at = ? WHERE id = ? AND state = 'scheduled'",
            [.text(state), .optionalText(messageID), .integer(now), .text(id)]) == 1
    }

    /// Marks a released text canceled (its message was withdrawn before it left); false when it
    /// was not released.
    public func cancelReleased(id: String, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE outbound SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'released'",
            [.integer(now), .text(id)]) == 1
    }

    /// Links a released text to the message that carries it.
    public func attach(id: String, messageID: String) throws(StorageError) {
        try connection.execute("UPDATE outbound SET message_id = ? WHERE id = ?", [.text(messageID), .text(id)])
    }

    private static func outbound(_ row: Row) throws(StorageError) -> OutboundRecord {
        try OutboundRecord(
            id: row.get("id"), toE164: row.get("to_e164"), contactID: row.get("contact_id"),
            conversationID: row.get("conversation_id"), program: row.get("program"), templateID: row.get("template_id"),
            templateVersion: row.get("template_version"), variant: row.get("variant"), campaign: row.get("campaign"),
            body: row.get("body"), state: row.get("state"), messageID: row.get("message_id"),
            sendAt: row.get("send_at"), createdAt: row.get("created_at"), updatedAt: row.get("updated_at"))
    }
}
