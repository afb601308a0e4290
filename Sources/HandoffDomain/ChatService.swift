import Crypto
package import DatabaseDriver
import Foundation
package import HandoffCore
package import Storage

/// The web chat's use cases: sessions, visitor messages, bot and agent replies, escalation,
/// closing, history. Each change and the events it causes commit in one transaction; live
/// streams are woken after the commit.
package final class ChatService: Sendable {
    /// A visitor's authenticated session and the conversation it is in.
    package struct VisitorContext: Sendable {
        package let session: SessionRecord
        package let conversationID: String
    }

    let database: any Database
    /// Writes messages, events and webhooks, and wakes streams and the dispatcher after commits.
    let timeline: Timeline
    private let limits: Reloadable<Limits>
    var smsPolicy: SMSPolicy { limits.value.smsPolicy }
    /// Routes customers' messages (escalation to humans); nil in tests that do not need it.
    let routing: Routing?
    let sessionLifetimeMilliseconds: Int64
    /// Proves the identities sites assert for their visitors.
    package let identity: IdentityVerifier
    var maxMessageCharacters: Int { limits.value.maxMessageCharacters }
    /// The queues conversations are escalated and transferred to.
    let queues: Reloadable<QueueCatalog>

    /// What SIGHUP can change: how texts are encoded and capped, and the longest message.
    package struct Limits: Sendable {
        package var smsPolicy: SMSPolicy
        var maxMessageCharacters: Int

        package init(smsPolicy: SMSPolicy, maxMessageCharacters: Int) {
            self.smsPolicy = smsPolicy
            self.maxMessageCharacters = maxMessageCharacters
        }

    }
    let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks = EventWebhooks(isEnabled: false),
        outboxChanged: @escaping @Sendable () -> Void = {}, smsPolicy: SMSPolicy = .standard, routing: Routing?,
        sessionLifetimeDays: Int, maxMessageCharacters: Int, queues: Reloadable<QueueCatalog> = Reloadable(.builtIn),
        identity: IdentityVerifier = IdentityVerifier(secret: nil),
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.queues = queues
        self.identity = identity
        self.database = database
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.limits = Reloadable(Limits(smsPolicy: smsPolicy, maxMessageCharacters: maxMessageCharacters))
        self.routing = routing
        self.sessionLifetimeMilliseconds = Int64(sessionLifetimeDays) * 86_400_000
        self.now = now
    }

    /// Takes new limits (SIGHUP).
    package func reload(_ limits: Limits) { self.limits.replace(with: limits) }

    package static func currentMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    static func tokenHash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    // MARK: Sessions

    /// Starts a new session and returns it with its cookie token. Its contact is new, or, for a
    /// verified `identity` the business already knows, that contact (whose open conversation the
    /// session joins).
    package func startSession(
        details: SessionDetails, identity: VerifiedIdentity? = nil
    ) async throws -> (context: VisitorContext, token: String) {
        let token = Identifiers.sessionToken()
        let hash = Self.tokenHash(token)
        let now = now()
        let expiresAt = now + sessionLifetimeMilliseconds
        let context = try await database.write { connection in
            let chat = ChatRepository(connection)
            let contact: ContactRecord
            if let identity, let known = try chat.contact(externalID: identity.externalID) {
                contact = known
            } else {
                contact = ContactRecord(
                    id: Identifiers.make("ct"), phoneE164: nil, locale: details.locale, timeZone: details.timezone,
                    externalID: identity?.externalID, displayName: details.displayName, createdAt: now)
                try chat.insert(contact)
            }
            let session = SessionRecord(
                id: Identifiers.make("ses"), contactID: contact.id, pageURL: details.pageURL,
                displayName: details.displayName, createdAt: now, lastSeenAt: now, expiresAt: expiresAt)
            try chat.insert(session, tokenHash: hash)
            let conversation =
                try chat.openConversation(contactID: contact.id)
                ?? chat.insert(
                    ConversationRecord(
                        id: Identifiers.make("conv"), contactID: contact.id, state: .open, createdAt: now,
                        updatedAt: now, attribution: ConversationAttribution(details)))
            return VisitorContext(session: session, conversationID: conversation.id)
        }
        return (context, token)
    }

    /// Binds a resumed session's contact to a verified `identity`. True when the contact has (now)
    /// that external id; false when another contact has it (the visitor proved they are someone the
    /// business knows: a new session for that contact is theirs). 409 `identity_conflict` when the
    /// contact already has another external id: a contact keeps its first.
    package func identify(_ visitor: VisitorContext, as identity: VerifiedIdentity) async throws -> Bool {
        let contactID = visitor.session.contactID
        let displayName = visitor.session.displayName
        let current = try await database.read { try ChatRepository($0).contact(id: contactID)?.externalID }
        if current == identity.externalID { return true }
        return try await database.write { connection in
            let chat = ChatRepository(connection)
            let bound = try chat.contact(id: contactID)?.externalID
            if bound == identity.externalID { return true }
            guard bound == nil else {
                throw UseCaseError(
                    .conflict, code: "identity_conflict",
                    message: "This session's contact already has another external_id; a contact keeps its first.",
                    field: "external_id")
            }
            if try chat.contact(externalID: identity.externalID) != nil { return false }
            try chat.bind(contactID: contactID, externalID: identity.externalID, displayName: displayName)
            return true
        }
    }

    /// The visitor behind a cookie token, or nil when it is unknown or expired. Slides the expiry
    /// at most once an hour, so reads stay reads. When the visitor's conversations are all closed,
    /// a new one starts with `attribution`.
    package func visitor(
        token: String, attribution: ConversationAttribution = ConversationAttribution()
    ) async throws -> VisitorContext? {
        let hash = Self.tokenHash(token)
        let now = now()
        guard
            let (session, conversation) = try await database.read({ connection in
                let chat = ChatRepository(connection)
                guard let session = try chat.session(tokenHash: hash, now: now) else { return nil }
                return (session, try chat.openConversation(contactID: session.contactID))
            }) as (SessionRecord, ConversationRecord?)?
        else { return nil }
        if let conversation, now - session.lastSeenAt < 3_600_000 {
            return VisitorContext(session: session, conversationID: conversation.id)
        }
        let lifetime = sessionLifetimeMilliseconds
        return try await database.write { connection in
            let chat = ChatRepository(connection)
            try chat.touchSession(id: session.id, now: now, expiresAt: now + lifetime)
            let current =
                try chat.openConversation(contactID: session.contactID)
                ?? chat.insert(
                    ConversationRecord(
                        id: Identifiers.make("conv"), contactID: session.contactID, state: .open, createdAt: now,
                        updatedAt: now, attribution: attribution))
            return VisitorContext(session: session, conversationID: current.id)
        }
    }

    // MARK: Messages

    /// A visitor's message from the widget. Returns the message and whether it was created now
    /// (false: an earlier request with the same idempotency key created it).
    package func postVisitorMessage(
        _ visitor: VisitorContext, body: String, clientKey: String?
    ) async throws -> (MessageRecord, created: Bool) {
        try validate(body, clientKey: clientKey)
        return try await appendMessage(
            conversationID: visitor.conversationID, direction: .inbound, author: .visitor, agent: nil, body: body,
            status: "received", clientKey: clientKey.map { "visitor:" + $0 })
    }

    /// A bot's or agent's reply: shown in the widget, and texted when the conversation continues
    /// by SMS. A named `agent` (its own key) writes as `agent`, with its id and name.
    package func postReply(
        conversationID: String, author: String?, agent: AgentRecord? = nil, body: String, clientKey: String?
    ) async throws -> (MessageRecord, created: Bool) {
        let author =
            if agent != nil {
                author == nil || author == Author.agent.rawValue ? Author.agent : nil
            } else {
                author.flatMap(Author.init(rawValue:)).flatMap { $0 == .bot || $0 == .agent ? $0 : nil }
            }
        guard let author else {
            throw UseCaseError(
                .invalid, code: "invalid_field",
                message: agent == nil ? "author must be bot or agent." : "An agent key writes as author agent.",
                field: "author")
        }
        try validate(body, clientKey: clientKey)
        return try await appendMessage(
            conversationID: conversationID, direction: .outbound, author: author, agent: agent, body: body,
            status: "delivered",
            clientKey: clientKey.map { (agent.map { "agent:" + $0.id } ?? author.rawValue) + ":" + $0 })
    }

    /// A reply as it would be texted: encoding, segments and characters after smart encoding, and
    /// the most segments a text may take (the console's live counter). 422 `body_too_long` past
    /// the longest message.
    package func previewText(_ body: String) throws -> TextPreviewJSON {
        try requireLength(body)
        return smsPolicy.preview(body)
    }

    /// Longest idempotency key (`client_id` or `Idempotency-Key`).
    static let maxClientKeyLength = 200

    private func validate(_ body: String, clientKey: String?) throws {
        guard !body.allSatisfy(\.isWhitespace) else {
            throw UseCaseError(.invalid, code: "empty_body", message: "The message is empty.", field: "body")
        }
        // Control characters (NUL, escapes, ...) have no place in a chat or a text; tab and line breaks do.
        guard
            !body.unicodeScalars.contains(where: {
                ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || (0x7F...0x9F).contains($0.value)
            })
        else {
            throw UseCaseError(
                .invalid, code: "invalid_characters", message: "The message contains control characters.",
                field: "body")
        }
        if let clientKey, clientKey.isEmpty || clientKey.utf8.count > Self.maxClientKeyLength {
            throw UseCaseError(
                .invalid, code: "invalid_field",
                message: "client_id (or Idempotency-Key) must be 1 to \(Self.maxClientKeyLength) bytes.",
                field: "client_id")
        }
        try requireLength(body)
    }

    /// 422 `body_too_long` for a message longer than the longest allowed.
    private func requireLength(_ body: String) throws {
        guard body.count <= maxMessageCharacters else {
            throw UseCaseError(
                .invalid, code: "body_too_long",
                message: "The message is longer than \(maxMessageCharacters) characters.", field: "body")
        }
    }

    private func appendMessage(
        conversationID: String, direction: Direction, author: Author, agent: AgentRecord?, body: String,
        status: String, clientKey: String?
    ) async throws -> (MessageRecord, created: Bool) {
        let now = now()
        let smsPolicy = smsPolicy
        let routing = direction == .inbound ? routing : nil
        let matches = routing?.intents(of: body) ?? .nothing
        return try await timeline.write { timeline -> (MessageRecord, created: Bool) in
            let connection = timeline.connection
            let chat = ChatRepository(connection)
            if let clientKey, let existing = try chat.message(conversationID: conversationID, clientKey: clientKey) {
                return (existing, false)
            }
            guard var conversation = try chat.conversation(id: conversationID) else {
                throw UseCaseError(.notFound, code: "conversation_not_found", message: "No such conversation.")
            }
            guard conversation.state != .closed else {
                throw UseCaseError(.conflict, code: "conversation_closed", message: "The conversation is closed.")
            }
            if author == .bot, conversation.state == .escalated {
                throw UseCaseError(
                    .conflict, code: "human_owns_conversation",
                    message: "A human took this conversation over; bot replies are paused.")
            }
            conversation.updatedAt = now
            if author == .agent { conversation.humanAnswered(now: now) }
            // A reply in a conversation that continues by text goes to the phone (and still shows
            // in any open widget, as the whole conversation does).
            if direction == .outbound, conversation.activeChannel == .sms,
                let phone = try chat.contact(id: conversation.contactID)?.phoneE164,
                !(try SuppressionRepository(connection).isSuppressed(phone))
            {
                try timeline.update(conversation)
                // Replies to a customer who wrote recently go before proactive texts.
                let priority = try Self.customerWroteRecently(conversationID, connection: connection, now: now) ? 0 : 1
                let message = try SMSService.enqueue(
                    conversationID: conversationID, to: phone, body: body, author: author, agent: agent,
                    priority: priority, timeline: timeline, now: now, clientKey: clientKey, policy: smsPolicy)
                return (message, true)
            }
            // The channel follows the customer: writing in the widget brings the conversation back
            // to the web (texting again takes it back to SMS).
            if direction == .inbound, conversation.activeChannel == .sms { conversation.activeChannel = .web }
            try timeline.update(conversation)
            // Phrases of another language than English classify only that language's contacts.
            let locale = matches.needsLocale ? try chat.contact(id: conversation.contactID)?.locale : nil
            let intents = matches.intents(locale: locale)
            let message = try timeline.append(
                MessageRecord(
                    id: Identifiers.make("msg"), conversationID: conversationID, direction: direction, channel: .web,
                    author: author, body: body, status: status, agentID: agent?.id, agentName: agent?.name,
                    intent: MessageIntent(rules: intents), createdAt: now, updatedAt: now),
                clientKey: clientKey)
            try routing?.route(message, intents: intents, in: conversation, timeline: timeline, now: now)
            return (message, true)
        }
    }

    /// Whether the customer wrote in the last 24 hours (a reply, not a proactive text).
    static func customerWroteRecently(_ conversationID: String, connection: any Connection, now: Int64) throws -> Bool {
        let last = try ChatRepository(connection).lastInboundAt(conversationID: conversationID)
        return last.map { now - $0 <= 86_400_000 } ?? false
    }

    /// A page of a conversation's history, oldest first; `after` is the previous page's cursor.
    package func messages(conversationID: String, after: String?, limit: Int) async throws -> MessagePageJSON {
        let afterSeq = try Cursor.decode(after)
        let rows = try await database.read { connection in
            try ChatRepository(connection).messages(conversationID: conversationID, afterSeq: afterSeq, limit: limit)
        }
        return MessagePageJSON(
            messages: rows.map(MessageJSON.init),
            nextAfter: rows.count == limit ? rows.last.map { Cursor.encode($0.seq) } : nil)
    }

    // MARK: Conversations

    package func conversation(id: String) async throws -> ConversationJSON {
        try await database.read { connection in
            guard let conversation = try ChatRepository(connection).conversation(id: id) else {
                throw UseCaseError(.notFound, code: "conversation_not_found", message: "No such conversation.")
            }
            var json = try Self.listed([conversation], connection: connection)[0]
            json.proactive = try OutboundRepository(connection).first(conversationID: id).map(ProactiveOriginJSON.init)
            return json
        }
    }

    /// Conversations as the API lists and reads them: with their contact, handoff, newest message
    /// and the customer's wait, read for all of them in three statements however many they are.
    static func listed(_ conversations: [ConversationRecord], connection: any Connection) throws
        -> [ConversationJSON]
    {
        let chat = ChatRepository(connection)
        let contacts = try chat.contacts(ids: conversations.map(\.contactID))
        let suppressed = try SuppressionRepository(connection).suppressed(
            among: contacts.values.compactMap(\.phoneE164))
        let activity = try chat.activity(conversationIDs: conversations.map(\.id))
        return conversations.map { conversation in
            let contact = contacts[conversation.contactID]
            let isSuppressed = contact?.phoneE164.map(suppressed.contains) ?? false
            return ConversationJSON(
                conversation, contact: contact, handoff: handoff(conversation, contact, isSuppressed: isSuppressed)
            ).with(activity[conversation.id])
        }
    }

    /// The handoff of a conversation as agents see it: by text, stopped, or web only.
    static func handoff(
        _ conversation: ConversationRecord, _ contact: ContactRecord?, _ suppressions: SuppressionRepository
    ) throws
        -> HandoffJSON
    {
        let isSuppressed = try contact?.phoneE164.map(suppressions.isSuppressed) ?? false
        return handoff(conversation, contact, isSuppressed: isSuppressed)
    }

    /// The handoff of a conversation whose contact's phone is (or is not) suppressed.
    static func handoff(_ conversation: ConversationRecord, _ contact: ContactRecord?, isSuppressed: Bool)
        -> HandoffJSON
    {
        guard let phone = contact?.phoneE164 else { return .none }
        let masked = PhoneNumber.mask(e164: phone)
        if isSuppressed {
            return HandoffJSON(state: "opted_out", phoneMasked: masked, expiresAt: nil)
        }
        if conversation.activeChannel == .sms {
            return HandoffJSON(state: "active", phoneMasked: masked, expiresAt: nil)
        }
        return HandoffJSON(state: "none", phoneMasked: masked, expiresAt: nil)
    }

    /// A phone's consent ledger, oldest first.
    package func consents(phone: String) async throws -> [ConsentJSON] {
        try await database.read { try HandoffRepository($0).consents(phone: phone).map(ConsentJSON.init) }
    }

    /// A page of conversations; `assigned` is `me` (the calling agent's), `none` or an agent id;
    /// `intent` keeps those whose last intent has that name.
    package func conversations(
        state: String?, queue: String?, assigned: String? = nil, intent: String? = nil, caller: Caller? = nil,
        after: String?, limit: Int
    ) async throws -> ConversationPageJSON {
        let owner: ChatRepository.OwnerFilter
        switch assigned {
        case nil: owner = .anyone
        case "none": owner = .nobody
        case "me":
            guard let agent = caller?.agent else {
                throw UseCaseError(
                    .invalid, code: "invalid_field", message: "assigned=me needs a named agent's key.",
                    field: "assigned")
            }
            owner = .agent(agent.id)
        case let id?: owner = .agent(id)
        }
        let state = try state.map { text in
            guard let state = ConversationState(rawValue: text) else {
                throw UseCaseError(
                    .invalid, code: "invalid_field", message: "state must be open, escalated or closed.",
                    field: "state")
            }
            return state
        }
        let afterSeq = try Cursor.decode(after)
        let (records, conversations) = try await database.read { connection in
            let records = try ChatRepository(connection).conversations(
                state: state, queue: queue, owner: owner, intent: intent, afterSeq: afterSeq, limit: limit)
            return (records, try Self.listed(records, connection: connection))
        }
        return ConversationPageJSON(
            conversations: conversations,
            nextAfter: records.count == limit ? records.last.map { Cursor.encode($0.seq) } : nil)
    }

    /// Hands the conversation to a human queue (the default queue unless told), its first
    /// response due within that queue's SLA.
    package func escalate(conversationID: String, queue: String?, reason: String?) async throws -> ConversationJSON {
        let catalog = queues.value
        return try await changeConversation(conversationID, event: "conversation.escalated") { conversation, now, _ in
            guard conversation.state != .closed else {
                throw UseCaseError(.conflict, code: "conversation_closed", message: "The conversation is closed.")
            }
            conversation.state = .escalated
            conversation.enterQueue(queue ?? QueueCatalog.defaultQueueName, catalog: catalog, now: now)
            conversation.escalationReason = reason
        }
    }

    /// Closes the conversation, with how it ended (`resolved`, `unresolved` or `spam`) when told;
    /// closing a closed one changes nothing.
    package func close(conversationID: String, resolution: String? = nil) async throws -> ConversationJSON {
        if let resolution, !["resolved", "unresolved", "spam"].contains(resolution) {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "resolution must be resolved, unresolved or spam.",
                field: "resolution")
        }
        return try await changeConversation(conversationID, event: "conversation.closed") { conversation, now, _ in
            guard conversation.state != .closed else { return }
            conversation.state = .closed
            conversation.closedAt = now
            conversation.resolution = resolution
        }
    }

    /// Applies `change` in one write transaction; when it changed something, records the business
    /// `event` with the conversation.
    func changeConversation(
        _ id: String, event: String,
        _ change: @escaping @Sendable (inout ConversationRecord, Int64, any Connection) throws -> Void
    ) async throws -> ConversationJSON {
        let now = now()
        return try await timeline.write { timeline in
            let chat = ChatRepository(timeline.connection)
            guard var conversation = try chat.conversation(id: id) else {
                throw UseCaseError(.notFound, code: "conversation_not_found", message: "No such conversation.")
            }
            let before = conversation
            try change(&conversation, now, timeline.connection)
            let changed = conversation != before
            if changed { conversation.updatedAt = now }
            let json = ConversationJSON(conversation, contact: try chat.contact(id: conversation.contactID))
            guard changed else { return json }
            try timeline.update(conversation)
            try timeline.recordWebhook(event, json, now: now)
            return json
        }
    }
}

/// List cursors: opaque to clients, a row sequence number inside.
package enum Cursor {
    static func encode(_ seq: Int64) -> String { String(seq) }

    static func decode(_ text: String?) throws -> Int64 {
        guard let text, !text.isEmpty else { return 0 }
        guard let seq = Int64(text), seq >= 0 else {
            throw UseCaseError(.malformed, code: "invalid_cursor", message: "The after cursor is not one we issued.")
        }
        return seq
    }
}
