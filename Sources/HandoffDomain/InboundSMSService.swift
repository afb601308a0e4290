package import DatabaseDriver
package import Gateway
package import HandoffCore
import Storage

/// Texts from phones: compliance keywords first (STOP stops at once, everywhere; START/YES opt in
/// or confirm a pending verification; HELP answers), everything else joins the sender's
/// conversation. A repeated gateway message id is acknowledged and processed once.
package final class InboundSMSService: Sendable {
    private let database: any Database
    private let events: EventHub
    private let webhooks: EventWebhooks
    private let handoff: HandoffFlow
    private let routing: Routing
    private let texts: Reloadable<Texts>
    private var brand: String { texts.value.brand }
    private var unknownSenderReply: String? { texts.value.unknownSenderReply }
    private var vocabulary: Keyword.Vocabulary { texts.value.vocabulary }

    /// What SIGHUP can change: the brand in replies, the reply to strangers, the keyword words.
    package struct Texts: Sendable {
        var brand: String
        var unknownSenderReply: String?
        var vocabulary: Keyword.Vocabulary

        package init(brand: String, unknownSenderReply: String? = nil, vocabulary: Keyword.Vocabulary) {
            self.brand = brand
            self.unknownSenderReply = unknownSenderReply
            self.vocabulary = vocabulary
        }

    }
    private let counters: ServiceCounters
    private let program: String
    private let outboxChanged: @Sendable () -> Void
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks, handoff: HandoffFlow, routing: Routing,
        brand: String, program: String, unknownSenderReply: String? = nil,
        vocabulary: Keyword.Vocabulary = Keyword.Vocabulary(), counters: ServiceCounters = ServiceCounters(),
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.events = events
        self.webhooks = webhooks
        self.handoff = handoff
        self.routing = routing
        self.texts = Reloadable(
            Texts(brand: brand, unknownSenderReply: unknownSenderReply, vocabulary: vocabulary).filled())
        self.program = program
        self.counters = counters
        self.outboxChanged = outboxChanged
        self.now = now
    }

    /// Takes new texts and keyword words (SIGHUP).
    package func reload(_ texts: Texts) { self.texts.replace(with: texts.filled()) }

    /// The keyword replies (PROTOCOLS.md: brand, what happens, HELP/STOP, rates).
    var stopReply: String {
        "\(brand): you are unsubscribed and will get no more texts from us. Reply START to resubscribe."
    }
    var startReply: String {
        "\(brand): you are resubscribed. Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP to cancel."
    }
    var helpReply: String {
        "\(brand): this number continues your chat with us. Msg frequency varies. Msg & data rates may apply. "
            + "Reply STOP to cancel."
    }

    /// Handles one inbound text (`raw` is the webhook body, kept for audit); returns the text to
    /// answer with in the webhook response, if any.
    package func receive(_ inbound: InboundSMS, raw: String) async throws -> String? {
        let now = now()
        let keyword = Keyword(classifying: inbound.body, vocabulary: vocabulary)
        let intents = routing.intents(of: inbound.body)
        let messageID = Identifiers.make("msg")
        let result = try await database.write { connection -> (reply: String?, events: [ConversationEventRecord]) in
            let chat = ChatRepository(connection)
            guard
                try chat.recordInboundEvent(
                    id: inbound.providerMessageID, gateway: "twilio", kind: "message", raw: raw, messageID: messageID,
                    now: now)
            else {
                self.counters.increment("handoff_inbound_duplicates_total")
                return (nil, [])
            }
            let phone = inbound.from
            // A YES confirms a pending verification only when it answers that verification's own
            // text; otherwise it is an ordinary message and each pending session must type its code.
            var codeRequests: [ConversationEventRecord] = []
            if keyword == .optIn,
                let answer = try HandoffFlow.answer(toReplyFrom: phone, connection: connection, now: now)
            {
                switch answer {
                case .confirms(let pending):
                    let confirmed = try self.handoff.confirm(
                        pending, method: "sms_yes", requester: nil, connection: connection, now: now)
                    self.counters.increment("handoff_optins_total", [("step", "confirmed"), ("method", "sms_yes")])
                    self.counters.increment("handoff_funnel_total", [("stage", "verified")])
                    HandoffOffers.measureVerification(of: confirmed.offer, at: now, counters: self.counters)
                    guard let conversation = try chat.conversation(id: confirmed.conversationID) else {
                        return (nil, confirmed.events)
                    }
                    let (_, _, event) = try self.record(
                        inbound, as: messageID, in: conversation, connection: connection, now: now)
                    return (nil, confirmed.events + [event])
                case .codeRequired(let pending, let reason):
                    self.counters.increment("handoff_reply_confirmations_refused_total", [("reason", reason)])
                    codeRequests = try self.handoff.askForCode(pending, connection: connection, now: now)
                }
            }
            let (found, known) = try self.conversation(for: phone, connection: connection, now: now)
            let conversationID = found.id
            let (message, conversation, event) = try self.record(
                inbound, as: messageID, in: found, connection: connection, now: now)
            var events = codeRequests + [event]
            switch keyword {
            case .optOut:
                try SuppressionRepository(connection).add(
                    phone, reason: "stop_keyword", source: inbound.providerMessageID, actor: "customer",
                    requestID: RequestOrigin.requestID, now: now)
                self.counters.increment("handoff_optouts_total", [("method", "sms_keyword")])
                try self.ledger(phone, event: "opt_out", connection: connection, now: now)
                events += try self.switchToWeb(
                    conversationID, phone: phone, state: "opted_out", connection: connection, now: now)
                return (self.stopReply, events)
            case .optIn
            where try SuppressionRepository(connection).isSuppressed(phone)
                && self.optedInBefore(phone, connection: connection):
                try SuppressionRepository(connection).remove(
                    phone, reason: "start_keyword", actor: "customer", requestID: RequestOrigin.requestID, now: now)
                try self.ledger(phone, event: "opt_in_again", connection: connection, now: now)
                // Back on: the conversation continues by text again.
                if var conversation = try chat.conversation(id: conversationID) {
                    conversation.activeChannel = .sms
                    conversation.updatedAt = now
                    try chat.update(conversation)
                }
                return (self.startReply, events)
            case .help:
                return (self.helpReply, events)
            case .optIn, nil:
                let routed = try self.routing.route(
                    message, intents: intents, in: conversation, connection: connection, now: now)
                return (known ? nil : self.unknownSenderReply, events + routed)
            }
        }
        events.publish(result.events)
        outboxChanged()
        return result.reply
    }

    /// Whether the number ever confirmed an opt-in: START re-subscribes only such numbers.
    private func optedInBefore(_ phone: String, connection: any Connection) throws -> Bool {
        try HandoffRepository(connection).consents(phone: phone).contains { $0.event == "opt_in_confirmed" }
    }

    /// The sender's open conversation, and whether the number was known; a number we have never
    /// seen gets a contact and a conversation.
    private func conversation(
        for phone: String, connection: any Connection, now: Int64
    ) throws -> (ConversationRecord, known: Bool) {
        let chat = ChatRepository(connection)
        let owner = try HandoffRepository(connection).contact(phone: phone)
        let contactID = owner ?? Identifiers.make("ct")
        if owner == nil {
            try chat.insert(ContactRecord(id: contactID, phoneE164: phone, locale: nil, timeZone: nil, createdAt: now))
        }
        if let open = try chat.openConversation(contactID: contactID) { return (open, owner != nil) }
        // A number with no open conversation: a new one, waiting in the `unlinked` queue for a human.
        let opened = try chat.insert(
            ConversationRecord(
                id: Identifiers.make("conv"), contactID: contactID, state: .open, queue: "unlinked",
                activeChannel: .sms, createdAt: now, updatedAt: now))
        return (opened, owner != nil)
    }

    /// Stores the text in the conversation, with its event and business webhook; returns the
    /// conversation as it now is.
    private func record(
        _ inbound: InboundSMS, as messageID: String, in conversation: ConversationRecord, connection: any Connection,
        now: Int64
    ) throws -> (MessageRecord, ConversationRecord, ConversationEventRecord) {
        let chat = ChatRepository(connection)
        let conversationID = conversation.id
        var conversation = conversation
        // The channel follows the customer: a text takes the conversation (back) to SMS.
        if conversation.activeChannel != .sms, !(try SuppressionRepository(connection).isSuppressed(inbound.from)) {
            conversation.activeChannel = .sms
            conversation.updatedAt = now
            try chat.update(conversation)
        }
        let message = try chat.insert(
            MessageRecord(
                id: messageID, conversationID: conversationID, direction: .inbound, channel: .sms,
                author: .visitor, body: inbound.body, status: "received", segments: inbound.segments,
                // The MessageSid stays with the raw webhook (`inbound_events`), which links here.
                providerMessageID: nil,
                media: inbound.mediaURLs.isEmpty
                    ? nil : try JSONPayload.string(inbound.mediaURLs),
                createdAt: now, updatedAt: now),
            clientKey: nil)
        if !(try chat.hasInboundSMS(conversationID: conversationID, beforeSeq: message.seq)) {
            counters.increment("handoff_funnel_total", [("stage", "first_sms_reply")])
        }
        let json = MessageJSON(message)
        let event = try chat.appendEvent(
            conversationID: conversationID, type: "message",
            payload: try JSONPayload.string(json), now: now)
        try webhooks.record("message.created", json, connection: connection, now: now)
        return (message, conversation, event)
    }

    private func ledger(_ phone: String, event: String, connection: any Connection, now: Int64) throws {
        try HandoffRepository(connection).append(
            ConsentRecord(
                phoneE164: phone, contactID: try HandoffRepository(connection).contact(phone: phone), program: program,
                event: event, method: "sms_keyword", sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil,
                locale: nil, disclosureText: nil, disclosureVersion: nil, createdAt: now))
    }

    /// STOP: the conversation goes back to the web; widgets and the business hear of it.
    private func switchToWeb(
        _ conversationID: String, phone: String, state: String, connection: any Connection, now: Int64
    ) throws -> [ConversationEventRecord] {
        let chat = ChatRepository(connection)
        guard var conversation = try chat.conversation(id: conversationID) else { return [] }
        conversation.activeChannel = .web
        conversation.updatedAt = now
        try chat.update(conversation)
        let handoffState = HandoffJSON(state: state, phoneMasked: PhoneNumber.mask(e164: phone), expiresAt: nil)
        try webhooks.record(
            "handoff.opted_out",
            HandoffWebhookJSON(conversationID: conversationID, phoneMasked: handoffState.phoneMasked),
            connection: connection, now: now)
        return [
            try chat.appendEvent(
                conversationID: conversationID, type: "handoff",
                payload: try JSONPayload.string(handoffState), now: now)
        ]
    }
}

extension InboundSMSService.Texts {
    /// With `{{brand}}` filled in.
    fileprivate func filled() -> Self {
        var texts = self
        texts.unknownSenderReply = unknownSenderReply?.replacingOccurrences(of: "{{brand}}", with: brand)
        return texts
    }
}
