import DatabaseDriver
package import HandoffCore
import Storage

/// Routing of customers' messages by their intent (`IntentCatalog`): an intent's action answers
/// with a template, puts the conversation in a queue, or escalates it to a human (a human request,
/// high risk, refunds, billing by default); the same question asked twice or several unanswered in
/// a row escalate too; "wrong number" on SMS asks once and stops texts to that number on WRONG.
package struct Routing: Sendable {
    let counters: ServiceCounters
    private let texts: Reloadable<Texts>
    /// The queues escalations land in (their first-response SLAs).
    let queues: Reloadable<QueueCatalog>
    /// Asked about every routed message after its commit, when configured.
    let classifier: IntentClassifier?
    /// The intents messages are classified into, with their actions.
    var catalog: IntentCatalog { texts.value.intents }
    /// What the customer is told when a human takes over (`{{brand}}` filled in).
    var holdingText: String { texts.value.holdingText }
    /// The brand our own texts start with.
    package var brand: String { texts.value.brand }

    /// What SIGHUP can change.
    package struct Texts: Sendable {
        package var intents: IntentCatalog {
            didSet { matcher = IntentMatcher(intents) }
        }
        package var holdingText: String
        package var brand: String
        /// The phrases, prepared for matching.
        private(set) var matcher: IntentMatcher

        package init(intents: IntentCatalog, holdingText: String, brand: String) {
            self.intents = intents
            self.holdingText = holdingText
            self.brand = brand
            matcher = IntentMatcher(intents)
        }
    }

    package init(
        intents: IntentCatalog = .defaults, counters: ServiceCounters = ServiceCounters(),
        holdingText: String, brand: String, queues: Reloadable<QueueCatalog> = Reloadable(.builtIn),
        classifier: IntentClassifier? = nil
    ) {
        self.counters = counters
        texts = Reloadable(Texts(intents: intents, holdingText: holdingText, brand: brand))
        self.queues = queues
        self.classifier = classifier
    }

    /// Takes new intents and texts (SIGHUP); copies of this value share them.
    package func reload(_ texts: Texts) { self.texts.replace(with: texts) }

    /// `conversation.escalated` data.
    package struct Escalation: Codable, Sendable {
        var conversation: ConversationJSON
        var reason: String
        /// The customer's last messages, oldest first, for the agent picking it up.
        var summary: [String]
    }

    /// What a customer's message is about, in every language: classified before the write
    /// transaction, so the one writer does not spend its time on it (the contact's locale, read
    /// inside, picks among the matches).
    func intents(of body: String) -> IntentMatches { texts.value.matcher.classify(body) }

    /// Inside the transaction that stored `message` (a customer's, with its `intents` for the
    /// contact's locale) in `conversation` (as stored before it): routes the conversation.
    func route(
        _ message: MessageRecord, intents: [Intent], in conversation: ConversationRecord, timeline: TimelineWriter,
        now: Int64
    ) throws {
        let chat = ChatRepository(timeline.connection)
        var conversation = conversation
        // Storing the message made its intent the conversation's last (`TimelineWriter.append`).
        if let intent = message.intent { conversation.lastIntent = intent }
        let wrongNumber = intents.contains { $0.name == Intent.wrongNumber }
        // Only a "wrong number" or the WRONG that may confirm one reads the contact (most texts are neither).
        if message.channel == .sms,
            wrongNumber || TemplateContent.normalizedAnswer(message.body) == Self.wrongNumberAnswer,
            let contact = try chat.contact(id: conversation.contactID),
            let phone = contact.phoneE164,
            try handleWrongNumber(
                message, isWrongNumber: wrongNumber, contact: contact, phone: phone, in: conversation,
                timeline: timeline, now: now)
        {
            return
        }
        if let classifier {
            timeline.runAfterCommit { [self] in classifier.classifyLater(message, intents: intents, routing: self) }
        }
        guard conversation.state == .open else { return }
        let history = try Self.recentQuestions(conversation.id, chat: chat)
        if let intent = intents.first {
            let acted = try act(on: intent, in: conversation, history: history, timeline: timeline, now: now)
            guard !acted.done else { return }
            conversation = acted.conversation
        }
        let reason: String
        if history.dropLast().contains(where: { QuestionSimilarity.isRepeat(message.body, of: $0.body) }) {
            reason = "repeated_question"
        } else if try Self.unansweredQuestionsInARow(conversation.id, chat: chat) {
            reason = "unanswered_questions"
        } else {
            return
        }
        try escalate(conversation, reason: reason, history: history, timeline: timeline, now: now)
    }

    /// Runs `intent`'s action on an open conversation. Returns whether that dealt with the message
    /// (escalated, or answered: it does not count as unanswered or repeated) and the conversation
    /// as it now is.
    private func act(
        on intent: Intent, in conversation: ConversationRecord, history: [MessageRecord], timeline: TimelineWriter,
        now: Int64
    ) throws -> (done: Bool, conversation: ConversationRecord) {
        switch intent.action {
        case .none:
            return (false, conversation)
        case .escalate(let queue):
            try escalate(conversation, reason: intent.name, history: history, to: queue, timeline: timeline, now: now)
            return (true, conversation)
        case .template(let name):
            return (
                try answer(conversation, intent: intent.name, template: name, timeline: timeline, now: now),
                conversation
            )
        case .queue(let queue):
            return (false, try self.queue(conversation, intent: intent.name, in: queue, timeline: timeline, now: now))
        }
    }

    /// Inside a transaction after the one that stored customer message `messageID`: the external
    /// classifier named `intent` for it. It becomes the message's intent (and its conversation's
    /// last, when no newer customer message came), and its action runs on the conversation if it
    /// is still open (a human who took it over keeps it).
    func reclassify(
        messageID: String, as stored: MessageIntent, intent: Intent, timeline: TimelineWriter, now: Int64
    ) throws {
        let chat = ChatRepository(timeline.connection)
        guard let message = try chat.message(id: messageID),
            let conversation = try chat.conversation(id: message.conversationID)
        else { return }
        try timeline.changeIntent(of: message, to: stored, now: now)
        guard conversation.state == .open else { return }
        let history = try Self.recentQuestions(conversation.id, chat: chat)
        _ = try act(on: intent, in: conversation, history: history, timeline: timeline, now: now)
    }

    /// An intent's `{queue: NAME}`: an open conversation not yet in `queue` (nor owned by an
    /// agent) enters it, its first response due within the queue's SLA; the bot may still answer.
    /// Returns the conversation as it now is.
    private func queue(
        _ conversation: ConversationRecord, intent: String, in queue: String, timeline: TimelineWriter, now: Int64
    ) throws -> ConversationRecord {
        guard conversation.queue != queue, conversation.assignedAgentID == nil else { return conversation }
        var conversation = conversation
        conversation.enterQueue(queue, catalog: queues.value, now: now)
        conversation.updatedAt = now
        try timeline.update(conversation)
        timeline.count(
            "handoff_intent_actions_total", [("intent", intent), ("action", "queue"), ("result", "done")], in: counters)
        return conversation
    }

    /// An intent's `{template: NAME}`: the bot answers with the template's approved version in
    /// the contact's locale (`ApprovedTemplateText`), rendered with the brand only.
    /// Returns false, doing nothing, when no live template of that name has an approved version
    /// that renders without variables (counted as `unavailable`).
    private func answer(
        _ conversation: ConversationRecord, intent: String, template name: String, timeline: TimelineWriter,
        now: Int64
    ) throws -> Bool {
        let contact = try ChatRepository(timeline.connection).contact(id: conversation.contactID)
        guard
            let body = try ApprovedTemplateText.render(
                name, brand: brand, conversation: conversation, contact: contact, connection: timeline.connection)
        else {
            timeline.count(
                "handoff_intent_actions_total",
                [("intent", intent), ("action", "template"), ("result", "unavailable")], in: counters)
            return false
        }
        try Self.tell(body, author: .bot, conversation: conversation, contact: contact, timeline: timeline, now: now)
        timeline.count(
            "handoff_intent_actions_total", [("intent", intent), ("action", "template"), ("result", "done")],
            in: counters)
        return true
    }

    /// A visitor who typed `HandoffFlow.wrongCodesBeforeAgent` wrong codes: an agent is told (the
    /// open conversation is escalated, reason `verification_failed`).
    func escalateFailedVerification(conversationID: String, timeline: TimelineWriter, now: Int64) throws {
        let chat = ChatRepository(timeline.connection)
        guard let conversation = try chat.conversation(id: conversationID), conversation.state == .open else { return }
        let history = try Self.recentQuestions(conversation.id, chat: chat)
        try escalate(conversation, reason: "verification_failed", history: history, timeline: timeline, now: now)
    }

    /// Customer questions in a row with no answer between them that call for a person.
    static let unansweredQuestionsLimit = 3

    /// Whether the conversation ends with `unansweredQuestionsLimit` questions (messages with a
    /// question mark) from the customer and no answer from the bot or an agent between them.
    private static func unansweredQuestionsInARow(_ conversationID: String, chat: ChatRepository) throws -> Bool {
        let latest = try chat.latestMessages(
            conversationID: conversationID, authors: [.visitor, .bot, .agent], limit: unansweredQuestionsLimit)
        return latest.count == unansweredQuestionsLimit
            && latest.allSatisfy { $0.author == .visitor && $0.body.contains(where: { $0 == "?" || $0 == "¿" }) }
    }

    /// The answer that confirms a wrong number.
    static let wrongNumberAnswer = "WRONG"

    /// How long a WRONG confirms the question it answers.
    static let wrongNumberConfirmationWindow: Int64 = 7 * 86_400_000

    /// "Wrong number": a texter who says the number is not the contact's ("who is this?") is asked
    /// once to reply WRONG; the WRONG that answers it (within a week) stops texts to the number and
    /// unlinks it from the contact. A real customer who only asked who is texting keeps their link.
    /// Returns whether the message was handled here.
    private func handleWrongNumber(
        _ message: MessageRecord, isWrongNumber: Bool, contact: ContactRecord, phone: String,
        in conversation: ConversationRecord, timeline: TimelineWriter, now: Int64
    ) throws -> Bool {
        let connection = timeline.connection
        let chat = ChatRepository(connection)
        let askedAt = try chat.wrongNumberAskedAt(contactID: contact.id)
        if TemplateContent.normalizedAnswer(message.body) == Self.wrongNumberAnswer, let askedAt,
            now - askedAt <= Self.wrongNumberConfirmationWindow
        {
            timeline.count("handoff_wrong_numbers_total", [("step", "confirmed")], in: counters)
            try SuppressionRepository(connection).add(
                phone, reason: "wrong_number", source: message.id, actor: "customer",
                requestID: RequestOrigin.requestID, now: now)
            try HandoffRepository(connection).append(
                ConsentRecord(
                    phoneE164: phone, contactID: contact.id, program: "chat", event: "opt_out",
                    method: "wrong_number", sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil, locale: nil,
                    disclosureText: nil, disclosureVersion: nil, createdAt: now))
            var conversation = conversation
            conversation.activeChannel = .web
            conversation.updatedAt = now
            try timeline.update(conversation)
            // The person who texted is not our contact: the number no longer belongs to it.
            try chat.unlinkPhone(contactID: contact.id)
            return true
        }
        guard isWrongNumber, askedAt == nil else { return false }
        timeline.count("handoff_wrong_numbers_total", [("step", "asked")], in: counters)
        try chat.setWrongNumberAsked(contactID: contact.id, at: now)
        let locale = try HandoffRepository(connection).locale(phone: phone)
        try SMSService.enqueue(
            conversationID: conversation.id, to: phone,
            body: SystemTexts(brand: brand, locale: locale).wrongNumberQuestion, author: .system, priority: 0,
            timeline: timeline, now: now)
        return true
    }

    /// Moves an open conversation to `queue` (the default human queue unless said; its first response
    /// due within the queue's SLA), tells the customer, emits `conversation.escalated`.
    func escalate(
        _ conversation: ConversationRecord, reason: String, history: [MessageRecord],
        to queue: String = QueueCatalog.defaultQueueName,
        timeline: TimelineWriter, now: Int64
    ) throws {
        let chat = ChatRepository(timeline.connection)
        var conversation = conversation
        timeline.count("handoff_escalations_total", [("reason", reason)], in: counters)
        conversation.state = .escalated
        conversation.enterQueue(queue, catalog: queues.value, now: now)
        conversation.escalationReason = reason
        conversation.updatedAt = now
        try timeline.update(conversation)
        let contact = try chat.contact(id: conversation.contactID)
        let json = ConversationJSON(conversation, contact: contact)
        try timeline.recordWebhook(
            "conversation.escalated",
            Escalation(conversation: json, reason: reason, summary: history.suffix(3).map(\.body)), now: now)
        try Self.tell(holdingText, conversation: conversation, contact: contact, timeline: timeline, now: now)
    }

    /// Tells the customer `body` (a system message unless `author` says otherwise): by text when
    /// the conversation is on SMS and the number is not suppressed, else in the web chat (never to
    /// a suppressed number).
    static func tell(
        _ body: String, author: Author = .system, conversation: ConversationRecord, contact: ContactRecord?,
        timeline: TimelineWriter, now: Int64
    ) throws {
        if conversation.activeChannel == .sms, let phone = contact?.phoneE164,
            !(try SuppressionRepository(timeline.connection).isSuppressed(phone))
        {
            try SMSService.enqueue(
                conversationID: conversation.id, to: phone, body: body, author: author, priority: 0,
                timeline: timeline, now: now)
        } else {
            _ = try timeline.append(
                MessageRecord(
                    id: Identifiers.make("msg"), conversationID: conversation.id, direction: .outbound, channel: .web,
                    author: author, body: body, status: "delivered", createdAt: now, updatedAt: now))
        }
    }

    /// Escalates open conversations whose customer has waited longer than `sla` for an answer: to
    /// the fallback queue of the template they replied to (within its reply window), else to humans.
    func escalateUnanswered(sla: Int64, timeline: TimelineWriter, now: Int64) throws {
        let chat = ChatRepository(timeline.connection)
        for conversation in try chat.unansweredConversations(before: now - sla, limit: 100) {
            let history = try Self.recentQuestions(conversation.id, chat: chat)
            let queue =
                try TemplateAnswer.fallbackQueue(for: conversation, connection: timeline.connection, now: now)
                ?? QueueCatalog.defaultQueueName
            try escalate(conversation, reason: "no_answer", history: history, to: queue, timeline: timeline, now: now)
        }
    }

    /// The customer's last messages, oldest first (the one being routed last): enough for the
    /// repeated-question check and the escalation summary (`Escalation.summary`).
    static func recentQuestions(_ conversationID: String, chat: ChatRepository) throws -> [MessageRecord] {
        try chat.latestMessages(conversationID: conversationID, authors: [.visitor], limit: 3).reversed()
    }

}
