public import DatabaseDriver
public import HandoffCore

/// The SQL of the web chat: contacts, sessions, conversations, messages and their event log.
///
/// A thin layer over one `Connection`; call it inside `Database.write` or `Database.read`, so
/// that the rows a use case changes commit together.
public struct ChatRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    // MARK: Contacts and sessions

    public func insert(_ contact: ContactRecord) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO contacts (id, phone_e164, locale, time_zone, external_id, display_name, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(contact.id), .optionalText(contact.phoneE164), .optionalText(contact.locale),
                .optionalText(contact.timeZone), .optionalText(contact.externalID),
                .optionalText(contact.displayName), .integer(contact.createdAt),
            ])
    }

    public func contact(id: String) throws(StorageError) -> ContactRecord? {
        try connection.queryOne("SELECT * FROM contacts WHERE id = ?", [.text(id)]).map(Self.contact)
    }

    /// The contacts among `ids`, by id, read in one statement however many they are.
    public func contacts(ids: [String]) throws(StorageError) -> [String: ContactRecord] {
        guard let list = ValueList(Set(ids).map { .text($0) }) else { return [:] }
        var contacts: [String: ContactRecord] = [:]
        for row in try connection.query("SELECT * FROM contacts WHERE id IN (\(list.placeholders))", list.values) {
            let contact = try Self.contact(row)
            contacts[contact.id] = contact
        }
        return contacts
    }

    /// The contact the business knows by `externalID`.
    public func contact(externalID: String) throws(StorageError) -> ContactRecord? {
        try connection.queryOne("SELECT * FROM contacts WHERE external_id = ?", [.text(externalID)]).map(Self.contact)
    }

    /// Gives a contact without one its external id (and its display name, when it has none).
    public func bind(contactID: String, externalID: String, displayName: String?) throws(StorageError) {
        try connection.execute(
            """
            UPDATE contacts SET external_id = ?, display_name = COALESCE(display_name, ?)
            WHERE id = ? AND external_id IS NULL
            """,
            [.text(externalID), .optionalText(displayName), .text(contactID)])
    }

    public func insert(_ session: SessionRecord, tokenHash: [UInt8]) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO sessions (id, token_hash, contact_id, page_url, display_name, created_at, last_seen_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(session.id), .blob(tokenHash), .text(session.contactID), .optionalText(session.pageURL),
                .optionalText(session.displayName), .integer(session.createdAt), .integer(session.lastSeenAt),
                .integer(session.expiresAt),
            ])
    }

    /// The unexpired session whose token hashes to `tokenHash`.
    public func session(tokenHash: [UInt8], now: Int64) throws(StorageError) -> SessionRecord? {
        try connection.queryOne(
            "SELECT * FROM sessions WHERE token_hash = ? AND expires_at > ?", [.blob(tokenHash), .integer(now)]
        ).map(Self.session)
    }

    public func sessionRecord(id: String) throws(StorageError) -> SessionRecord? {
        try connection.queryOne("SELECT * FROM sessions WHERE id = ?", [.text(id)]).map(Self.session)
    }

    /// Gives a session a new token hash (the old token stops working).
    public func replaceToken(sessionID: String, tokenHash: [UInt8]) throws(StorageError) {
        try connection.execute(
            "UPDATE sessions SET token_hash = ? WHERE id = ?", [.blob(tokenHash), .text(sessionID)])
    }

    /// Slides a session's expiry forward.
    public func touchSession(id: String, now: Int64, expiresAt: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
            [.integer(now), .integer(expiresAt), .text(id)])
    }

    // MARK: Conversations

    public func insert(_ conversation: ConversationRecord) throws(StorageError) -> ConversationRecord {
        var inserted = conversation
        inserted.seq = try connection.insert(
            """
            INSERT INTO conversations (id, contact_id, state, queue, escalation_reason, active_channel, created_at, updated_at,
                campaign, page_url, utm_source, utm_medium, utm_campaign)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(conversation.id), .text(conversation.contactID), .text(conversation.state),
                .optionalText(conversation.queue), .optionalText(conversation.escalationReason),
                .text(conversation.activeChannel), .integer(conversation.createdAt), .integer(conversation.updatedAt),
                .optionalText(conversation.attribution.campaign), .optionalText(conversation.attribution.pageURL),
                .optionalText(conversation.attribution.utmSource), .optionalText(conversation.attribution.utmMedium),
                .optionalText(conversation.attribution.utmCampaign),
            ], returningKey: "seq")
        return inserted
    }

    public func conversation(id: String) throws(StorageError) -> ConversationRecord? {
        try connection.queryOne("SELECT * FROM conversations WHERE id = ?", [.text(id)]).map(Self.conversation)
    }

    /// The contact's newest conversation that is not closed.
    public func openConversation(contactID: String) throws(StorageError) -> ConversationRecord? {
        try connection.queryOne(
            "SELECT * FROM conversations WHERE contact_id = ? AND state != 'closed' ORDER BY seq DESC LIMIT 1",
            [.text(contactID)]
        ).map(Self.conversation)
    }

    /// The contact that owns `phone` and its newest conversation that is not closed (nil when it
    /// has none), read in one statement; nil when no contact owns the number.
    public func openConversation(phone: String) throws(StorageError) -> (
        contactID: String, conversation: ConversationRecord?
    )? {
        guard
            let row = try connection.queryOne(
                """
                SELECT contacts.id AS owner_id, conversations.*
                FROM contacts LEFT JOIN conversations ON conversations.seq = (
                    SELECT newest.seq FROM conversations AS newest
                    WHERE newest.contact_id = contacts.id AND newest.state != 'closed' ORDER BY newest.seq DESC LIMIT 1)
                WHERE contacts.phone_e164 = ?
                """, [.text(phone)])
        else { return nil }
        let conversation = try row.get("seq", as: Int64?.self) == nil ? nil : try Self.conversation(row)
        return (try row.get("owner_id"), conversation)
    }

    /// The contact's newest conversation, whatever its state.
    public func latestConversation(contactID: String) throws(StorageError) -> ConversationRecord? {
        try connection.queryOne(
            "SELECT * FROM conversations WHERE contact_id = ? ORDER BY seq DESC LIMIT 1", [.text(contactID)]
        ).map(Self.conversation)
    }

    /// Who owns the conversations a list asks for.
    public enum OwnerFilter: Sendable, Equatable {
        case anyone, nobody
        case agent(String)
    }

    /// Conversations after cursor `afterSeq`, oldest first, optionally filtered. One agent's are
    /// read through their own index (`conversations_assigned`), however few they are, and so are
    /// those whose last intent is `intent` (`conversations_last_intent`).
    public func conversations(
        state: ConversationState?, queue: String?, owner: OwnerFilter = .anyone, intent: String? = nil,
        afterSeq: Int64, limit: Int
    ) throws(StorageError) -> [ConversationRecord] {
        let (ownerCondition, ownerValues): (String, [DatabaseValue]) =
            switch owner {
            case .anyone: ("TRUE", [])
            case .nobody: ("assigned_agent_id IS NULL", [])
            case .agent(let id): ("assigned_agent_id = ?", [.text(id)])
            }
        let (intentCondition, intentValues): (String, [DatabaseValue]) =
            intent.map { ("last_intent_name = ?", [.text($0)]) } ?? ("TRUE", [])
        return try connection.query(
            """
            SELECT * FROM conversations
            WHERE \(ownerCondition) AND \(intentCondition) AND seq > ? AND (CAST(? AS TEXT) IS NULL OR state = ?)
                AND (CAST(? AS TEXT) IS NULL OR queue = ?)
            ORDER BY seq LIMIT ?
            """,
            ownerValues + intentValues + [
                .integer(afterSeq), .optionalText(state?.rawValue), .optionalText(state?.rawValue),
                .optionalText(queue), .optionalText(queue), .int(limit),
            ]
        ).map(Self.conversation)
    }

    /// What a business webhook about the conversation names besides itself: its contact's
    /// `external_id` and its `campaign` (nil when unknown).
    public func webhookOrigin(conversationID: String) throws(StorageError) -> (externalID: String?, campaign: String?) {
        let row = try connection.queryOne(
            """
            SELECT contacts.external_id AS external_id, conversations.campaign AS campaign
            FROM conversations JOIN contacts ON contacts.id = conversations.contact_id WHERE conversations.id = ?
            """, [.text(conversationID)])
        return (try row?.get("external_id", as: String?.self) ?? nil, try row?.get("campaign", as: String?.self) ?? nil)
    }

    /// A contact's conversations after cursor `afterSeq`, oldest first.
    public func conversations(contactID: String, afterSeq: Int64, limit: Int) throws(StorageError)
        -> [ConversationRecord]
    {
        try connection.query(
            "SELECT * FROM conversations WHERE contact_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [.text(contactID), .integer(afterSeq), .int(limit)]
        ).map(Self.conversation)
    }

    /// Writes a conversation's state, queue, reason, owner, first-response clock and resolution.
    /// Use cases write through `TimelineWriter.update`, which tells the agents' streams.
    public func update(_ conversation: ConversationRecord) throws(StorageError) {
        try connection.execute(
            """
            UPDATE conversations SET state = ?, queue = ?, escalation_reason = ?, active_channel = ?, updated_at = ?,
                closed_at = ?, assigned_agent_id = ?, assigned_agent_name = ?, first_response_due_at = ?,
                first_human_response_at = ?, sla_breached_at = ?, resolution = ?
            WHERE id = ?
            """,
            [
                .text(conversation.state), .optionalText(conversation.queue),
                .optionalText(conversation.escalationReason), .text(conversation.activeChannel),
                .integer(conversation.updatedAt), .optionalInteger(conversation.closedAt),
                .optionalText(conversation.assignedAgentID), .optionalText(conversation.assignedAgentName),
                .optionalInteger(conversation.firstResponseDueAt),
                .optionalInteger(conversation.firstHumanResponseAt), .optionalInteger(conversation.slaBreachedAt),
                .optionalText(conversation.resolution), .text(conversation.id),
            ])
    }

    /// Open conversations whose customer has waited for a bot or agent answer since before
    /// `before`, longest wait first (`awaiting_reply_since`, kept by triggers on messages).
    public func unansweredConversations(before: Int64, limit: Int) throws(StorageError) -> [ConversationRecord] {
        try connection.query(
            """
            SELECT * FROM conversations
            WHERE state = 'open' AND awaiting_reply_since < ?
            ORDER BY awaiting_reply_since LIMIT ?
            """,
            [.integer(before), .int(limit)]
        ).map(Self.conversation)
    }

    /// The customer no longer waits on account of the message it sent at `since` (one that needs no
    /// answer from a bot or agent): the wait that message started ends; an older one stays.
    public func endWait(conversationID: String, startedAt since: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE conversations SET awaiting_reply_since = NULL WHERE id = ? AND awaiting_reply_since = ?",
            [.text(conversationID), .integer(since)])
    }

    /// Per queue, its conversations that are not closed: how many, how many nobody owns, since
    /// when the longest-waiting customer waits, how many missed their first-response SLA.
    public func queueCounts() throws(StorageError) -> [QueueCounts] {
        try connection.query(
            """
            SELECT queue, count(*) AS open,
                sum(CASE WHEN assigned_agent_id IS NULL THEN 1 ELSE 0 END) AS unassigned,
                min(awaiting_reply_since) AS oldest_waiting_since,
                sum(CASE WHEN sla_breached_at IS NOT NULL THEN 1 ELSE 0 END) AS sla_breached
            FROM conversations WHERE state != 'closed' AND queue IS NOT NULL GROUP BY queue
            """, []
        ).map { row throws(StorageError) in
            try QueueCounts(
                queue: row.get("queue"), open: row.get("open"), unassigned: row.get("unassigned"),
                oldestWaitingSince: row.get("oldest_waiting_since"), slaBreached: row.get("sla_breached"))
        }
    }

    /// Conversations not closed whose first human response was due at or before `now` and whose
    /// breach is not stamped yet, most overdue first.
    public func overdueFirstResponses(now: Int64, limit: Int) throws(StorageError) -> [ConversationRecord] {
        try connection.query(
            """
            SELECT * FROM conversations
            WHERE first_response_due_at IS NOT NULL AND sla_breached_at IS NULL AND first_response_due_at <= ?
                AND state != 'closed'
            ORDER BY first_response_due_at LIMIT ?
            """,
            [.integer(now), .int(limit)]
        ).map(Self.conversation)
    }

    // MARK: Messages

    /// Inserts a message; `clientKey` makes retries idempotent (see `message(conversationID:clientKey:)`).
    public func insert(_ message: MessageRecord, clientKey: String?) throws(StorageError) -> MessageRecord {
        var inserted = message
        inserted.seq = try connection.insert(
            """
            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, segments,
                provider_message_id, client_key, error_code, to_e164, media, agent_id, agent_name, intent_name,
                intent_source, intent_confidence, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(message.id), .text(message.conversationID), .text(message.direction), .text(message.channel),
                .text(message.author), .text(message.body), .text(message.status), .optionalInt(message.segments),
                .optionalText(message.providerMessageID), .optionalText(clientKey), .optionalInt(message.errorCode),
                .optionalText(message.toE164), .optionalText(message.media), .optionalText(message.agentID),
                .optionalText(message.agentName),
            ] + Self.intentValues(message.intent) + [.integer(message.createdAt), .integer(message.updatedAt)],
            returningKey: "seq")
        return inserted
    }

    /// Makes `intent` the conversation's last intent (a customer's message that has one was stored).
    public func recordLastIntent(_ intent: MessageIntent, conversationID: String) throws(StorageError) {
        try connection.execute(
            """
            UPDATE conversations SET last_intent_name = ?, last_intent_source = ?, last_intent_confidence = ?
            WHERE id = ?
            """, Self.intentValues(intent) + [.text(conversationID)])
    }

    /// Gives a stored customer message another intent (an external classifier's answer).
    public func setIntent(_ intent: MessageIntent, messageID: String) throws(StorageError) {
        try connection.execute(
            "UPDATE messages SET intent_name = ?, intent_source = ?, intent_confidence = ? WHERE id = ?",
            Self.intentValues(intent) + [.text(messageID)])
    }

    /// The message an earlier request with the same idempotency key created.
    public func message(conversationID: String, clientKey: String) throws(StorageError) -> MessageRecord? {
        try connection.queryOne(
            "SELECT * FROM messages WHERE conversation_id = ? AND client_key = ?",
            [.text(conversationID), .text(clientKey)]
        ).map(Self.message)
    }

    public func message(id: String) throws(StorageError) -> MessageRecord? {
        try connection.queryOne("SELECT * FROM messages WHERE id = ?", [.text(id)]).map(Self.message)
    }

    /// A conversation's messages after cursor `afterSeq`, oldest first.
    public func messages(conversationID: String, afterSeq: Int64, limit: Int) throws(StorageError) -> [MessageRecord] {
        try connection.query(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [.text(conversationID), .integer(afterSeq), .int(limit)]
        ).map(Self.message)
    }

    /// The conversation's newest messages by one of `authors` (on `channel`, when given; after
    /// `afterSeq`), newest first: what routing and summaries need, read backwards through the
    /// conversation's index however long its history.
    public func latestMessages(
        conversationID: String, authors: [Author], channel: Channel? = nil, afterSeq: Int64 = 0, limit: Int
    ) throws(StorageError) -> [MessageRecord] {
        let placeholders = Array(repeating: "?", count: authors.count).joined(separator: ", ")
        return try connection.query(
            """
            SELECT * FROM messages
            WHERE conversation_id = ? AND seq > ? AND author IN (\(placeholders))
                AND (CAST(? AS TEXT) IS NULL OR channel = ?)
            ORDER BY seq DESC LIMIT ?
            """,
            [.text(conversationID), .integer(afterSeq)] + authors.map { .text($0) }
                + [.optionalText(channel?.rawValue), .optionalText(channel?.rawValue), .int(limit)]
        ).map(Self.message)
    }

    /// The message the gateway knows as `providerMessageID`.
    public func message(providerMessageID: String) throws(StorageError) -> MessageRecord? {
        try connection.queryOne(
            "SELECT * FROM messages WHERE provider_message_id = ?", [.text(providerMessageID)]
        ).map(Self.message)
    }

    /// Writes a message's delivery fields: status, gateway id, segments, error code.
    public func updateDelivery(_ message: MessageRecord) throws(StorageError) {
        try connection.execute(
            """
            UPDATE messages SET status = ?, provider_message_id = ?, segments = ?, error_code = ?, updated_at = ?
            WHERE id = ?
            """,
            [
                .text(message.status), .optionalText(message.providerMessageID), .optionalInt(message.segments),
                .optionalInt(message.errorCode), .integer(message.updatedAt), .text(message.id),
            ])
    }

    /// Takes the phone away from a contact (a wrong number); suppression stays with the number.
    public func unlinkPhone(contactID: String) throws(StorageError) {
        try connection.execute(
            "UPDATE contacts SET phone_e164 = NULL, wrong_number_asked_at = NULL WHERE id = ?", [.text(contactID)])
    }

    /// When the contact's number was asked to confirm it is a wrong number (nil: never, or not
    /// since it was last linked).
    public func wrongNumberAskedAt(contactID: String) throws(StorageError) -> Int64? {
        try connection.queryOne("SELECT wrong_number_asked_at FROM contacts WHERE id = ?", [.text(contactID)])?.get(
            "wrong_number_asked_at")
    }

    /// Records that the contact's number was asked to confirm a wrong number.
    public func setWrongNumberAsked(contactID: String, at time: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE contacts SET wrong_number_asked_at = ? WHERE id = ?", [.integer(time), .text(contactID)])
    }

    // MARK: Inbound events

    /// Records a gateway event once, with the id of the message it becomes; false when this
    /// provider id was already recorded.
    public func recordInboundEvent(
        id: String, gateway: String, kind: String, raw: String, messageID: String, now: Int64
    ) throws(StorageError) -> Bool {
        try connection.execute(
            """
            INSERT INTO inbound_events (provider_event_id, gateway, kind, raw, message_id, received_at)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [.text(id), .text(gateway), .text(kind), .text(raw), .text(messageID), .integer(now)]) == 1
    }

    /// The newest committed event's seq in a conversation (in any, when nil; 0 when none): where a
    /// fresh live stream starts (see `events`).
    public func lastEventSeq(conversationID: String?) throws(StorageError) -> Int64 {
        guard let conversationID else {
            return try connection.queryValue(
                "SELECT coalesce(max(seq), 0) AS seq FROM committed_conversation_events", [], column: "seq")
        }
        return try connection.queryValue(
            "SELECT coalesce(max(seq), 0) AS seq FROM committed_conversation_events WHERE conversation_id = ?",
            [.text(conversationID)], column: "seq")
    }

    /// Whether the customer texted in the conversation before message `beforeSeq`. The walk goes
    /// back from there, so in a conversation already on SMS it stops at the last text; only a
    /// conversation's first text walks its whole web history.
    public func hasInboundSMS(conversationID: String, beforeSeq: Int64) throws(StorageError) -> Bool {
        try connection.queryOne(
            """
            SELECT 1 AS found FROM messages
            WHERE conversation_id = ? AND seq < ? AND direction = 'inbound' AND channel = 'sms'
            ORDER BY seq DESC LIMIT 1
            """,
            [.text(conversationID), .integer(beforeSeq)]) != nil
    }

    /// The seq of the message with `id` in the conversation: resolves a message-id cursor.
    public func messageSeq(conversationID: String, id: String) throws(StorageError) -> Int64? {
        try connection.queryOne(
            "SELECT seq FROM messages WHERE conversation_id = ? AND id = ?", [.text(conversationID), .text(id)]
        )?.get("seq")
    }

    /// When the customer last wrote in a conversation (any channel), if ever.
    public func lastInboundAt(conversationID: String) throws(StorageError) -> Int64? {
        try connection.queryValue(
            "SELECT max(created_at) AS at FROM messages WHERE conversation_id = ? AND direction = 'inbound'",
            [.text(conversationID)], column: "at")
    }

    /// The activity of the conversations among `conversationIDs` (their newest message, the
    /// customer's wait), by conversation id, read in one statement however many they are: each
    /// newest message is one step back through the conversation's index (`messages_conversation`).
    public func activity(conversationIDs: [String]) throws(StorageError) -> [String: ConversationActivity] {
        guard let list = ValueList(Set(conversationIDs).map { .text($0) }) else { return [:] }
        let rows = try connection.query(
            """
            SELECT listed.id AS listed_id, listed.awaiting_reply_since AS listed_awaiting_reply_since, messages.*
            FROM (
                SELECT id, awaiting_reply_since,
                    (SELECT newest.seq FROM messages AS newest WHERE newest.conversation_id = conversations.id
                        ORDER BY newest.seq DESC LIMIT 1) AS last_message_seq
                FROM conversations WHERE id IN (\(list.placeholders))
            ) AS listed
            LEFT JOIN messages ON messages.seq = listed.last_message_seq
            """, list.values)
        var activity: [String: ConversationActivity] = [:]
        for row in rows {
            let lastMessage = try row.get("seq", as: Int64?.self) == nil ? nil : try Self.message(row)
            activity[try row.get("listed_id")] = ConversationActivity(
                lastMessage: lastMessage, awaitingReplySince: try row.get("listed_awaiting_reply_since"))
        }
        return activity
    }

    // MARK: Events

    /// Appends to a conversation's event log and returns the event with its id.
    public func appendEvent(
        conversationID: String, type: String, payload: String, now: Int64
    ) throws(StorageError) -> ConversationEventRecord {
        let seq: Int64 = try connection.insert(
            """
            INSERT INTO conversation_events (conversation_id, type, payload, created_at) VALUES (?, ?, ?, ?)
            """,
            [.text(conversationID), .text(type), .text(payload), .integer(now)], returningKey: "seq")
        return ConversationEventRecord(
            seq: seq, conversationID: conversationID, type: type, payload: payload, createdAt: now)
    }

    /// The committed events of a conversation (of every conversation when nil) after `afterSeq`,
    /// oldest first: only those whose place is final (`committed_conversation_events`), so that an
    /// event read later never has a smaller seq than one read now. On SQLite that is every
    /// committed event; on PostgreSQL, see `hasUnsettledEvents`.
    public func events(conversationID: String?, afterSeq: Int64, limit: Int) throws(StorageError)
        -> [ConversationEventRecord]
    {
        let rows =
            if let conversationID {
                try connection.query(
                    """
                    SELECT * FROM committed_conversation_events WHERE conversation_id = ? AND seq > ?
                    ORDER BY seq LIMIT ?
                    """,
                    [.text(conversationID), .integer(afterSeq), .int(limit)])
            } else {
                try connection.query(
                    "SELECT * FROM committed_conversation_events WHERE seq > ? ORDER BY seq LIMIT ?",
                    [.integer(afterSeq), .int(limit)])
            }
        return try rows.map(Self.event)
    }

    /// The seq and conversation of the committed events after `afterSeq` (as `events` reads
    /// them), oldest first: which streams to wake for what other nodes wrote.
    public func eventConversations(afterSeq: Int64, limit: Int) throws(StorageError) -> [(
        seq: Int64, conversationID: String
    )] {
        try connection.query(
            "SELECT seq, conversation_id FROM committed_conversation_events WHERE seq > ? ORDER BY seq LIMIT ?",
            [.integer(afterSeq), .int(limit)]
        ).map { row throws(StorageError) in (try row.get("seq"), try row.get("conversation_id")) }
    }

    /// Whether committed events after `afterSeq` wait for their place to become final (after
    /// `events` read everything up to `afterSeq` in the same transaction): on PostgreSQL, while a
    /// write that began before theirs still runs; never on SQLite. A stream reads again shortly.
    public func hasUnsettledEvents(conversationID: String?, afterSeq: Int64) throws(StorageError) -> Bool {
        if let conversationID {
            return try connection.queryOne(
                "SELECT 1 AS found FROM conversation_events WHERE conversation_id = ? AND seq > ? LIMIT 1",
                [.text(conversationID), .integer(afterSeq)]) != nil
        }
        return try connection.queryOne(
            "SELECT 1 AS found FROM conversation_events WHERE seq > ? LIMIT 1", [.integer(afterSeq)]) != nil
    }

    // MARK: Row mapping

    private static func contact(_ row: Row) throws(StorageError) -> ContactRecord {
        try ContactRecord(
            id: row.get("id"), phoneE164: row.get("phone_e164"), locale: row.get("locale"),
            timeZone: row.get("time_zone"), externalID: row.get("external_id"), displayName: row.get("display_name"),
            createdAt: row.get("created_at"))
    }

    private static func session(_ row: Row) throws(StorageError) -> SessionRecord {
        try SessionRecord(
            id: row.get("id"), contactID: row.get("contact_id"), pageURL: row.get("page_url"),
            displayName: row.get("display_name"), createdAt: row.get("created_at"),
            lastSeenAt: row.get("last_seen_at"), expiresAt: row.get("expires_at"))
    }

    private static func conversation(_ row: Row) throws(StorageError) -> ConversationRecord {
        try ConversationRecord(
            seq: row.get("seq"), id: row.get("id"), contactID: row.get("contact_id"), state: row.get("state"),
            queue: row.get("queue"), escalationReason: row.get("escalation_reason"),
            activeChannel: row.get("active_channel"), createdAt: row.get("created_at"),
            updatedAt: row.get("updated_at"), closedAt: row.get("closed_at"),
            assignedAgentID: row.get("assigned_agent_id"), assignedAgentName: row.get("assigned_agent_name"),
            firstResponseDueAt: row.get("first_response_due_at"),
            firstHumanResponseAt: row.get("first_human_response_at"), slaBreachedAt: row.get("sla_breached_at"),
            resolution: row.get("resolution"),
            attribution: ConversationAttribution(
                campaign: row.get("campaign"), pageURL: row.get("page_url"), utmSource: row.get("utm_source"),
                utmMedium: row.get("utm_medium"), utmCampaign: row.get("utm_campaign")),
            lastIntent: intent(
                row, name: "last_intent_name", source: "last_intent_source", confidence: "last_intent_confidence"))
    }

    private static func message(_ row: Row) throws(StorageError) -> MessageRecord {
        try MessageRecord(
            seq: row.get("seq"), id: row.get("id"), conversationID: row.get("conversation_id"),
            direction: row.get("direction"), channel: row.get("channel"), author: row.get("author"),
            body: row.get("body"), status: row.get("status"), segments: row.get("segments"),
            providerMessageID: row.get("provider_message_id"), errorCode: row.get("error_code"),
            toE164: row.get("to_e164"), media: row.get("media"), agentID: row.get("agent_id"),
            agentName: row.get("agent_name"),
            intent: intent(row, name: "intent_name", source: "intent_source", confidence: "intent_confidence"),
            createdAt: row.get("created_at"), updatedAt: row.get("updated_at"))
    }

    /// An intent's name, source and confidence, as their three columns are bound.
    private static func intentValues(_ intent: MessageIntent?) -> [DatabaseValue] {
        [
            .optionalText(intent?.name), .optionalText(intent?.source.rawValue),
            intent?.confidence.map { .real($0) } ?? .null,
        ]
    }

    /// The intent stored in columns `name`, `source` and `confidence`; nil when `name` is NULL.
    private static func intent(_ row: Row, name: String, source: String, confidence: String) throws(StorageError)
        -> MessageIntent?
    {
        guard let intentName: String = try row.get(name) else { return nil }
        return try MessageIntent(name: intentName, source: row.get(source), confidence: row.get(confidence))
    }

    private static func event(_ row: Row) throws(StorageError) -> ConversationEventRecord {
        try ConversationEventRecord(
            seq: row.get("seq"), conversationID: row.get("conversation_id"), type: row.get("type"),
            payload: row.get("payload"), createdAt: row.get("created_at"))
    }
}
