package import DatabaseDriver
import HandoffCore
import Storage

/// The golden window: "Can we text you the answer?" offered inside the conversation while a
/// question waits, by bots and agents through the API or by the widget itself (a slow answer, a
/// hidden tab). Every offer shown is stored and reaches open widgets as a `handoff_offer` event;
/// the widget offers at most once per question and never again after "No thanks"; nobody is
/// offered texts while they are on, or after the number sent STOP. Verification answers the
/// newest offer shown, which measures the time from offer to verified phone.
package final class HandoffOffers: Sendable {
    /// Why an offer was made: the widget's own reasons and those of bots and agents.
    static let widgetReasons: Set<String> = ["slow_answer", "tab_hidden"]
    static let apiReasons: Set<String> = ["slow_answer", "agent", "bot"]

    private let database: any Database
    private let events: EventHub
    private let counters: ServiceCounters
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, counters: ServiceCounters,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.events = events
        self.counters = counters
        self.now = now
    }

    /// A bot's or agent's offer (`POST /v1/conversations/{id}/offer`); `reason` defaults to `agent`.
    package func offer(conversationID: String, reason: String?) async throws -> OfferJSON {
        let reason = reason ?? "agent"
        try Self.check(reason, in: Self.apiReasons)
        return try await store(
            OfferRecord(
                id: Identifiers.make("off"), conversationID: conversationID, sessionID: nil, reason: reason,
                questionMessageID: nil, createdAt: now()))
    }

    /// The widget's own offer for the visitor's unanswered question.
    package func offer(_ visitor: ChatService.VisitorContext, reason: String, questionID: String?) async throws
        -> OfferJSON
    {
        try Self.check(reason, in: Self.widgetReasons)
        return try await store(
            OfferRecord(
                id: Identifiers.make("off"), conversationID: visitor.conversationID, sessionID: visitor.session.id,
                reason: reason, questionMessageID: questionID, createdAt: now()))
    }

    /// "No thanks": the widget offers no more in this session.
    package func decline(_ visitor: ChatService.VisitorContext, offerID: String) async throws -> OfferJSON {
        let now = now()
        let declined = try await database.write { connection -> OfferRecord in
            let offers = OfferRepository(connection)
            guard let offer = try offers.offer(id: offerID), try Self.belongs(offer, to: visitor, connection) else {
                throw UseCaseError(.notFound, code: "offer_not_found", message: "No such offer in this chat.")
            }
            try offers.decline(id: offer.id, sessionID: visitor.session.id, now: now)
            return try offers.offer(id: offer.id) ?? offer
        }
        counters.increment("handoff_offers_declined_total")
        return OfferJSON(declined)
    }

    /// Measures the offer a verification answered (after its commit).
    static func measureVerification(of offer: OfferRecord?, at verifiedAt: Int64, counters: ServiceCounters) {
        guard let offer else { return }
        let seconds = Double(verifiedAt - offer.createdAt) / 1000
        counters.offerToVerify.observe(offer.reason, seconds: seconds)
        if seconds <= 90 {
            counters.increment("handoff_offers_verified_within_90s_total", [("reason", offer.reason)])
        }
    }

    private func store(_ offer: OfferRecord) async throws -> OfferJSON {
        let event = try await database.write { connection -> ConversationEventRecord in
            let chat = ChatRepository(connection)
            guard let conversation = try chat.conversation(id: offer.conversationID) else {
                throw UseCaseError(.notFound, code: "conversation_not_found", message: "No such conversation.")
            }
            guard conversation.state != .closed else {
                throw UseCaseError(.conflict, code: "conversation_closed", message: "The conversation is closed.")
            }
            let handoff = try ChatService.handoff(
                conversation, try chat.contact(id: conversation.contactID), SuppressionRepository(connection))
            switch handoff.state {
            case "opted_out":
                throw UseCaseError(.conflict, code: "suppressed", message: "This number asked not to get texts.")
            case "active":
                throw UseCaseError(.conflict, code: "already_active", message: "This chat already continues by text.")
            default: break
            }
            let offers = OfferRepository(connection)
            if let sessionID = offer.sessionID {
                try Self.checkWidgetMayOffer(offer, sessionID: sessionID, connection: connection)
            }
            guard try offers.insert(offer) else {
                throw UseCaseError(
                    .conflict, code: "already_offered", message: "This question was already offered an answer by text.")
            }
            return try chat.appendEvent(
                conversationID: offer.conversationID, type: "handoff_offer",
                payload: try JSONPayload.string(OfferJSON(offer)), now: offer.createdAt)
        }
        events.publish([event])
        counters.increment("handoff_offers_total", [("reason", offer.reason)])
        return OfferJSON(offer)
    }

    /// The widget's own offers: never after a refusal or while a code waits, and only for a
    /// question of the visitor's own conversation.
    private static func checkWidgetMayOffer(_ offer: OfferRecord, sessionID: String, connection: any Connection) throws
    {
        if try OfferRepository(connection).declined(sessionID: sessionID) {
            throw UseCaseError(.conflict, code: "offer_declined", message: "The visitor said no thanks to texts.")
        }
        if let pending = try HandoffRepository(connection).latestVerification(sessionID: sessionID),
            pending.state == "pending", pending.expiresAt > offer.createdAt
        {
            throw UseCaseError(.conflict, code: "verification_pending", message: "A code is already on its way.")
        }
        if let questionID = offer.questionMessageID {
            let question = try ChatRepository(connection).message(id: questionID)
            guard question?.conversationID == offer.conversationID, question?.author == .visitor else {
                throw UseCaseError(
                    .invalid, code: "invalid_field",
                    message: "question_id must be one of the visitor's messages in this chat.", field: "question_id")
            }
        }
    }

    private static func belongs(
        _ offer: OfferRecord, to visitor: ChatService.VisitorContext, _ connection: any Connection
    ) throws -> Bool {
        if offer.sessionID == visitor.session.id || offer.conversationID == visitor.conversationID { return true }
        return try ChatRepository(connection).conversation(id: offer.conversationID)?.contactID
            == visitor.session.contactID
    }

    private static func check(_ reason: String, in allowed: Set<String>) throws {
        guard allowed.contains(reason) else {
            throw UseCaseError(
                .invalid, code: "invalid_field",
                message: "reason must be one of \(allowed.sorted().joined(separator: ", ")).", field: "reason")
        }
    }
}
