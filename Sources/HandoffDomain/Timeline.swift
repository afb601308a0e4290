package import DatabaseDriver
package import HandoffCore
import Storage

/// The one way changes reach conversations' timelines: a use case writes through a
/// `TimelineWriter` inside `write`, and once the transaction committed `write` publishes the events
/// it appended to the live streams and wakes the outbox for the kinds of rows it queued, here and
/// (through `EventHub.announceToOtherNodes`) on the other nodes. Nothing else publishes or wakes,
/// so a write that added nothing (a repeated webhook) wakes nobody.
package final class Timeline: Sendable {
    let database: any Database
    /// Nil from the command line: no live streams to wake in this process.
    private let events: EventHub?
    private let webhooks: EventWebhooks
    /// Called after a commit that queued outbox rows, with their kinds.
    private let outboxChanged: @Sendable (Set<OutboxKind>) -> Void

    package init(
        database: any Database, events: EventHub?, webhooks: EventWebhooks,
        outboxChanged: @escaping @Sendable (Set<OutboxKind>) -> Void
    ) {
        self.database = database
        self.events = events
        self.webhooks = webhooks
        self.outboxChanged = outboxChanged
    }

    /// Runs `body` in one write transaction and returns its result once committed, after telling
    /// the streams and the outbox what it wrote.
    package func write<T: Sendable>(_ body: @escaping @Sendable (TimelineWriter) throws -> T) async throws -> T {
        let webhooks = webhooks
        let (result, written) = try await database.write { connection in
            let writer = TimelineWriter(connection, webhooks: webhooks)
            return (try body(writer), writer.written)
        }
        if !written.events.isEmpty { events?.publish(written.events) }
        if !written.outboxKinds.isEmpty { outboxChanged(written.outboxKinds) }
        if !written.events.isEmpty || !written.outboxKinds.isEmpty { events?.announceToOtherNodes() }
        for action in written.afterCommit { action() }
        return result
    }
}

/// The timeline writes of one transaction: messages with their events and business webhooks,
/// other events, outbox rows. Keeps what must be announced after the commit (see `Timeline`).
package final class TimelineWriter {
    /// What a transaction added that others must hear of once it commits.
    struct Written: Sendable {
        var events: [ConversationEventRecord] = []
        var outboxKinds: Set<OutboxKind> = []
        /// Work that must wait for the commit and never delay the writer (`runAfterCommit`).
        var afterCommit: [@Sendable () -> Void] = []
    }

    /// The transaction's connection, for the use case's other rows.
    package let connection: any Connection
    private let webhooks: EventWebhooks
    private(set) var written = Written()

    init(_ connection: any Connection, webhooks: EventWebhooks) {
        self.connection = connection
        self.webhooks = webhooks
    }

    /// Runs `action` once the transaction committed (not at all if it rolls back).
    func runAfterCommit(_ action: @escaping @Sendable () -> Void) { written.afterCommit.append(action) }

    /// Adds one to `name` in `counters` once the transaction committed: an attempt that rolls back
    /// or is retried (a PostgreSQL serialization failure runs the body again) counts nothing.
    func count(_ name: String, _ labels: [(String, String)] = [], in counters: ServiceCounters) {
        runAfterCommit { counters.increment(name, labels) }
    }

    /// A new message in its conversation: the row (idempotent by `clientKey`), its `message`
    /// event and its `message.created` webhook, all dated when the message was created; a
    /// message's intent becomes its conversation's last intent.
    func append(_ message: MessageRecord, clientKey: String? = nil) throws -> MessageRecord {
        let chat = ChatRepository(connection)
        let message = try chat.insert(message, clientKey: clientKey)
        if let intent = message.intent { try chat.recordLastIntent(intent, conversationID: message.conversationID) }
        try announce(message, event: "message", webhook: "message.created", now: message.createdAt)
        return message
    }

    /// A message's intent changed after it was written (the external classifier re-routed it):
    /// the row; its conversation's last intent, with a `conversation` event, when it is the
    /// customer's newest message; and the message as it now is in a `message_updated` event and a
    /// `message.updated` webhook, so streams and the business see the intent that routed it.
    func changeIntent(of message: MessageRecord, to intent: MessageIntent, now: Int64) throws {
        let chat = ChatRepository(connection)
        var message = message
        message.intent = intent
        try chat.setIntent(intent, messageID: message.id)
        try announce(message, event: "message_updated", webhook: "message.updated", now: now)
        let newest = try chat.latestMessages(conversationID: message.conversationID, authors: [.visitor], limit: 1)
        if newest.first?.id == message.id {
            try chat.recordLastIntent(intent, conversationID: message.conversationID)
            try announceChange(conversationID: message.conversationID, now: now)
        }
    }

    /// `message` as its representation has it, in an `event` on its conversation's timeline and
    /// in a `webhook` (when business webhooks are on).
    private func announce(_ message: MessageRecord, event: String, webhook: String, now: Int64) throws {
        let json = MessageJSON(message)
        try appendEvent(
            conversationID: message.conversationID, type: event, payload: try json.storedJSON(), now: now)
        if webhooks.isEnabled {
            // A CRM files the message under its own customer and campaign.
            let origin = try ChatRepository(connection).webhookOrigin(conversationID: message.conversationID)
            try recordWebhook(
                webhook, MessageWebhookJSON(message: json, externalID: origin.externalID, campaign: origin.campaign),
                now: now)
        }
    }

    /// Writes a conversation's row: the one way its state, queue, owner, first-response clock,
    /// channel or resolution change. When any of these changed (anything the row update writes but
    /// `updated_at`), a `conversation` event carries the conversation as agents see it, so the
    /// agents' stream follows assignments, transfers, hand-backs, closes and SLA breaches live.
    func update(_ conversation: ConversationRecord) throws {
        let chat = ChatRepository(connection)
        let stored = try chat.conversation(id: conversation.id)
        try chat.update(conversation)
        guard let stored, stored.differsInRow(from: conversation) else { return }
        try announceChange(conversationID: conversation.id, now: conversation.updatedAt)
    }

    /// A `conversation` event with the conversation as stored now: after `update`, or after a
    /// change written by other SQL (a conversation folded into another, `HandoffRepository.link`).
    func announceChange(conversationID: String, now: Int64) throws {
        let chat = ChatRepository(connection)
        guard let conversation = try chat.conversation(id: conversationID) else { return }
        let contact = try chat.contact(id: conversation.contactID)
        let handoff = try ChatService.handoff(conversation, contact, SuppressionRepository(connection))
        try appendEvent(
            conversationID: conversationID, type: Self.conversationEvent,
            ConversationJSON(conversation, contact: contact, handoff: handoff), now: now)
    }

    /// The event type of a conversation's changes (agents' stream only; see `EventStream`).
    package static let conversationEvent = "conversation"

    /// An event on a conversation's timeline, for its live streams.
    @discardableResult
    func appendEvent<Payload: Encodable>(
        conversationID: String, type: String, _ payload: Payload, now: Int64
    ) throws -> ConversationEventRecord {
        try appendEvent(conversationID: conversationID, type: type, payload: try JSONPayload.string(payload), now: now)
    }

    /// An event whose payload is already JSON.
    @discardableResult
    private func appendEvent(
        conversationID: String, type: String, payload: String, now: Int64
    ) throws -> ConversationEventRecord {
        let event = try ChatRepository(connection).appendEvent(
            conversationID: conversationID, type: type, payload: payload, now: now)
        written.events.append(event)
        return event
    }

    /// A business event for the event webhook (nothing when no webhook is configured).
    func recordWebhook<Data: Encodable>(_ type: String, _ data: Data, now: Int64) throws {
        guard let payload = try webhooks.payload(type, data, now: now) else { return }
        try enqueue(kind: OutboxKind.webhook, payload: payload, messageID: nil, priority: 0, now: now)
    }

    /// Work for the outbox, due now, in `lane` (rows of one lane go out in queue order; nil: no order).
    func enqueue(
        kind: OutboxKind, payload: String, messageID: String?, lane: String? = nil, priority: Int, now: Int64
    ) throws {
        try OutboxRepository(connection).enqueue(
            kind: kind, payload: payload, messageID: messageID, lane: lane, priority: priority,
            requestID: RequestOrigin.requestID, now: now)
        written.outboxKinds.insert(kind)
    }

    /// A row of `kind` became due again without `enqueue` (an operator's replay).
    func requeued(kind: OutboxKind) { written.outboxKinds.insert(kind) }
}
