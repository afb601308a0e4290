package import DatabaseDriver
package import Gateway
package import HandoffCore
import Storage

/// Texts from phones: compliance keywords first (STOP stops at once, everywhere; START/YES opt in
/// or confirm a pending verification; HELP answers), then a program's keyword (its double opt-in
/// starts), then an expected answer to one of our recent texts (`reply.matched`); everything else
/// joins the sender's conversation and is triaged. A repeated gateway message id is acknowledged
/// and processed once.
package final class InboundSMSService: Sendable {
    private let timeline: Timeline
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
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks, handoff: HandoffFlow, routing: Routing,
        brand: String, program: String, unknownSenderReply: String? = nil,
        vocabulary: Keyword.Vocabulary = Keyword.Vocabulary(), counters: ServiceCounters = ServiceCounters(),
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.handoff = handoff
        self.routing = routing
        self.texts = Reloadable(
            Texts(brand: brand, unknownSenderReply: unknownSenderReply, vocabulary: vocabulary).filled())
        self.program = program
        self.counters = counters
        self.now = now
    }

    /// Takes new texts and keyword words (SIGHUP).
    package func reload(_ texts: Texts) { self.texts.replace(with: texts.filled()) }

    /// Handles one inbound text (`raw` is the webhook body, kept for audit); returns the text to
    /// answer with in the webhook response, if any.
    package func receive(_ inbound: InboundSMS, raw: String) async throws -> String? {
        let now = now()
        let matches = routing.intents(of: inbound.body)
        let messageID = Identifiers.make("msg")
        return try await timeline.write { timeline -> String? in
            let connection = timeline.connection
            let chat = ChatRepository(connection)
            guard
                try chat.recordInboundEvent(
                    id: inbound.providerMessageID, gateway: "twilio", kind: "message", raw: raw, messageID: messageID,
                    now: now)
            else {
                timeline.count("handoff_inbound_duplicates_total", in: self.counters)
                return nil
            }
            let phone = inbound.from
            // The sender's language decides which words besides the English ones are keywords, and
            // the language of the answers.
            let locale = try HandoffRepository(connection).locale(phone: phone)
            let keyword = Keyword(classifying: inbound.body, vocabulary: self.vocabulary, locale: locale)
            let replies = SystemTexts(brand: self.brand, locale: locale)
            let intents = matches.intents(locale: locale)
            // A program's keyword (never a compliance word of any language: the catalog refuses
            // those) starts that program's opt-in.
            let keywordProgram = keyword == nil ? self.handoff.programs.program(keyword: inbound.body) : nil
            // What a YES does besides confirming a verification: a pending program opt-in first,
            // then START after a STOP; otherwise it may answer one of our texts, as any text may.
            let pendingPrograms =
                keyword == .optIn ? try ConsentService.pendingPrograms(phone: phone, connection: connection) : []
            let restarts =
                try keyword == .optIn && pendingPrograms.isEmpty
                && SuppressionRepository(connection).isSuppressed(phone)
                && self.optedInBefore(phone, connection: connection)
            let answer =
                (keyword == nil && keywordProgram == nil) || (keyword == .optIn && pendingPrograms.isEmpty && !restarts)
                ? try TemplateAnswer.matching(inbound.body, from: phone, connection: connection, now: now) : nil
            // The text's intent: the answer it gives to our text, else its compliance keyword,
            // else what its words match.
            let intent =
                answer.map { MessageIntent(name: $0.reply.outcome, source: .templateAnswer) }
                ?? keyword.map { MessageIntent(keyword: $0) } ?? MessageIntent(rules: intents)
            // A YES confirms a pending verification only when it answers that verification's own
            // text; otherwise it is an ordinary message and each pending session must type its code.
            if keyword == .optIn,
                let answer = try HandoffFlow.answer(toReplyFrom: phone, connection: connection, now: now)
            {
                switch answer {
                case .confirms(let pending):
                    let confirmed = try self.handoff.confirm(
                        pending, method: "sms_yes", requester: nil, timeline: timeline, now: now)
                    timeline.count(
                        "handoff_optins_total", [("step", "confirmed"), ("method", "sms_yes")], in: self.counters)
                    timeline.count("handoff_funnel_total", [("stage", "verified")], in: self.counters)
                    timeline.runAfterCommit { [counters = self.counters] in
                        HandoffOffers.measureVerification(of: confirmed.offer, at: now, counters: counters)
                    }
                    guard let conversation = try chat.conversation(id: confirmed.conversationID) else { return nil }
                    _ = try self.record(
                        inbound, as: messageID, intent: MessageIntent(keyword: .optIn), in: conversation,
                        timeline: timeline, now: now)
                    return nil
                case .codeRequired(let pending, let reason):
                    timeline.count("handoff_reply_confirmations_refused_total", [("reason", reason)], in: self.counters)
                    try self.handoff.askForCode(pending, timeline: timeline, now: now)
                }
            }
            let (found, known) = try self.conversation(for: phone, connection: connection, now: now)
            // STOP leaves the conversation on the web (`stop`); any other text takes it to SMS.
            let (message, conversation) = try self.record(
                inbound, as: messageID, intent: intent, in: found, followToSMS: keyword != .optOut, timeline: timeline,
                now: now)
            if let keywordProgram {
                timeline.count(
                    "handoff_optins_total", [("step", "requested"), ("method", "sms_keyword")], in: self.counters)
                return try ConsentService.requestByKeyword(
                    keywordProgram, phone: phone, contactID: conversation.contactID, texts: replies,
                    connection: connection, now: now)
            }
            switch keyword {
            case .optOut:
                try self.stop(
                    conversation, phone: phone, source: inbound.providerMessageID, timeline: timeline, now: now)
                return replies.stop
            case .optIn where !pendingPrograms.isEmpty:
                // The number's own YES to an opt-in recorded elsewhere (a marketing program's double
                // opt-in); after a STOP it is the express opt-in again, as START is.
                if try SuppressionRepository(connection).isSuppressed(phone) {
                    try SuppressionRepository(connection).remove(
                        phone, reason: "yes_keyword", actor: "customer", requestID: RequestOrigin.requestID, now: now)
                }
                let confirmed = try ConsentService.confirmPending(
                    phone: phone, contactID: conversation.contactID, connection: connection, now: now)
                timeline.count(
                    "handoff_optins_total", [("step", "confirmed"), ("method", "sms_yes")], in: self.counters)
                return replies.subscribed(to: confirmed)
            case .optIn where restarts:
                try SuppressionRepository(connection).remove(
                    phone, reason: "start_keyword", actor: "customer", requestID: RequestOrigin.requestID, now: now)
                try self.ledger(phone, contactID: conversation.contactID, event: "opt_in_again", connection, now: now)
                // Back on: the conversation continues by text again.
                var conversation = conversation
                conversation.activeChannel = .sms
                conversation.updatedAt = now
                try timeline.update(conversation)
                return replies.start
            case .help:
                return replies.help
            case .optIn, nil:
                // An expected answer to one of our recent texts acts instead of being triaged.
                if let answer {
                    try answer.act(on: message, from: phone, brand: self.brand, timeline: timeline, now: now)
                    timeline.count("handoff_replies_matched_total", in: self.counters)
                    return nil
                }
                try self.routing.route(message, intents: intents, in: conversation, timeline: timeline, now: now)
                return known ? nil : self.unknownSenderReply
            }
        }
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
        let owner = try chat.openConversation(phone: phone)
        if let open = owner?.conversation { return (open, true) }
        let contactID = owner?.contactID ?? Identifiers.make("ct")
        if owner == nil {
            try chat.insert(ContactRecord(id: contactID, phoneE164: phone, locale: nil, timeZone: nil, createdAt: now))
        }
        // A number with no open conversation: a new one, waiting in the `unlinked` queue for a human.
        let opened = try chat.insert(
            ConversationRecord(
                id: Identifiers.make("conv"), contactID: contactID, state: .open, queue: "unlinked",
                activeChannel: .sms, createdAt: now, updatedAt: now))
        return (opened, owner != nil)
    }

    /// Stores the text in the conversation, with its intent, event and business webhook; returns
    /// the message and the conversation as it now is. The channel follows the customer: a text
    /// takes the conversation (back) to SMS when `followToSMS` and the number may be texted.
    private func record(
        _ inbound: InboundSMS, as messageID: String, intent: MessageIntent?, in conversation: ConversationRecord,
        followToSMS: Bool = true, timeline: TimelineWriter, now: Int64
    ) throws -> (MessageRecord, ConversationRecord) {
        let chat = ChatRepository(timeline.connection)
        let conversationID = conversation.id
        var conversation = conversation
        if followToSMS, conversation.activeChannel != .sms,
            !(try SuppressionRepository(timeline.connection).isSuppressed(inbound.from))
        {
            conversation.activeChannel = .sms
            conversation.updatedAt = now
            try timeline.update(conversation)
        }
        let message = try timeline.append(
            MessageRecord(
                id: messageID, conversationID: conversationID, direction: .inbound, channel: .sms,
                author: .visitor, body: inbound.body, status: "received", segments: inbound.segments,
                // The MessageSid stays with the raw webhook (`inbound_events`), which links here.
                providerMessageID: nil,
                media: inbound.mediaURLs.isEmpty
                    ? nil : try JSONPayload.string(inbound.mediaURLs),
                intent: intent, createdAt: now, updatedAt: now))
        if let intent { conversation.lastIntent = intent }
        if !(try chat.hasInboundSMS(conversationID: conversationID, beforeSeq: message.seq)) {
            timeline.count("handoff_funnel_total", [("stage", "first_sms_reply")], in: counters)
        }
        return (message, conversation)
    }

    private func ledger(
        _ phone: String, contactID: String, event: String, _ connection: any Connection, now: Int64
    ) throws {
        try HandoffRepository(connection).append(
            ConsentRecord(
                phoneE164: phone, contactID: contactID, program: program, event: event, method: "sms_keyword",
                sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil, locale: nil, disclosureText: nil,
                disclosureVersion: nil, createdAt: now))
    }

    /// STOP: the number is suppressed, the ledger says so for every program, the conversation goes
    /// back to the web; widgets and the business hear of it.
    private func stop(
        _ conversation: ConversationRecord, phone: String, source: String, timeline: TimelineWriter, now: Int64
    ) throws {
        let connection = timeline.connection
        try SuppressionRepository(connection).add(
            phone, reason: "stop_keyword", source: source, actor: "customer", requestID: RequestOrigin.requestID,
            now: now)
        timeline.count("handoff_optouts_total", [("method", "sms_keyword")], in: counters)
        try ledger(phone, contactID: conversation.contactID, event: "opt_out", connection, now: now)
        try ConsentService.endAll(
            phone: phone, contactID: conversation.contactID, except: program, method: "sms_keyword",
            connection: connection, now: now)
        var conversation = conversation
        conversation.activeChannel = .web
        conversation.updatedAt = now
        try timeline.update(conversation)
        let state = HandoffJSON(state: "opted_out", phoneMasked: PhoneNumber.mask(e164: phone), expiresAt: nil)
        try timeline.recordWebhook(
            "handoff.opted_out", HandoffWebhookJSON(conversationID: conversation.id, phoneMasked: state.phoneMasked),
            now: now)
        try timeline.appendEvent(conversationID: conversation.id, type: "handoff", state, now: now)
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
