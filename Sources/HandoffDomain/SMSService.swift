package import DatabaseDriver
import Foundation
package import Gateway
import HandoffCore
package import Storage

/// Outbound SMS: queueing a text with the change that causes it, delivering it through the
/// gateway (suppression and quiet hours checked again at send time), and following the
/// gateway's delivery reports. Every status change is a `message_status` event on the widget's
/// stream and a `message.status` business webhook.
package final class SMSService: Sendable {
    private let database: any Database
    private let events: EventHub
    private let webhooks: EventWebhooks
    private let gateway: any SMSGateway
    private let statusCallbackURL: String
    private let limiter: AsyncLimiter
    private let counters: ServiceCounters
    private let pacer: SendPacer
    private let currentQuietHours: Reloadable<QuietHoursPolicy?>
    private var quietHours: QuietHoursPolicy? { currentQuietHours.value }
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks, gateway: any SMSGateway,
        statusCallbackURL: String, maxInFlight: Int, perSecond: Int = 0,
        quietHours: QuietHoursPolicy? = nil, counters: ServiceCounters = ServiceCounters(),
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.events = events
        self.webhooks = webhooks
        self.gateway = gateway
        self.statusCallbackURL = statusCallbackURL
        self.limiter = AsyncLimiter(limit: maxInFlight)
        self.counters = counters
        self.pacer = SendPacer(perSecond: perSecond)
        self.currentQuietHours = Reloadable(quietHours)
        self.now = now
    }

    /// Inside the caller's transaction: an outbound SMS message, its outbox row and its event.
    /// `priority` 0 is a reply in a live conversation, 1 a proactive send.
    /// `recordedBody` replaces the text in the conversation's history when the text itself must not
    /// be kept there (a verification code); the SMS still carries `body`.
    static func enqueue(
        conversationID: String, to phone: String, body: String, author: Author, priority: Int,
        connection: any Connection, webhooks: EventWebhooks, now: Int64, recordedBody: String? = nil,
        clientKey: String? = nil, policy: SMSPolicy = .standard
    ) throws -> (MessageRecord, ConversationEventRecord) {
        let body = try policy.prepare(body)
        let chat = ChatRepository(connection)
        let message = try chat.insert(
            MessageRecord(
                id: Identifiers.make("msg"), conversationID: conversationID, direction: .outbound, channel: .sms,
                author: author, body: recordedBody ?? body, status: DeliveryStatus.queued.rawValue,
                segments: SMSSegments(body: body).count, toE164: phone, createdAt: now, updatedAt: now),
            clientKey: clientKey)
        let json = MessageJSON(message)
        let event = try chat.appendEvent(
            conversationID: conversationID, type: "message",
            payload: try JSONPayload.string(json),
            now: now)
        // The text to send travels in the outbox row only when the history keeps another one.
        let payload = try JSONPayload.string(SMSPayload(to: phone, body: recordedBody == nil ? nil : body))
        try OutboxRepository(connection).enqueue(
            kind: OutboxKind.sms, payload: payload, messageID: message.id, priority: priority,
            requestID: RequestOrigin.requestID, now: now)
        try webhooks.record("message.created", json, connection: connection, now: now)
        return (message, event)
    }

    // MARK: Delivery

    /// One attempt at an `sms` outbox row.
    /// Takes new quiet hours and caps (SIGHUP); texts already deferred are checked again when due.
    package func reload(quietHours: QuietHoursPolicy?) { currentQuietHours.replace(with: quietHours) }

    func deliver(_ item: OutboxItem) async -> OutboxDispatcher.Outcome {
        guard let messageID = item.messageID else { return .failed("sms row without a message") }
        do {
            let now = now()
            let quietHours = quietHours
            let (message, suppressed, deferUntil) = try await database.read {
                connection -> (MessageRecord?, Bool, Int64?) in
                let chat = ChatRepository(connection)
                guard let message = try chat.message(id: messageID) else { return (nil, false, nil) }
                return (
                    message, try SuppressionRepository(connection).isSuppressed(message.toE164 ?? ""),
                    try quietHours?.deferral(for: message, connection: connection, now: now)
                )
            }
            guard let message, let phone = message.toE164 else { return .failed("message \(messageID) is gone") }
            // Accepted by the gateway before a crash (its id is recorded): never send it again.
            if message.providerMessageID != nil { return .delivered }
            if suppressed {
                counters.increment("handoff_sms_suppressed_total")
                try await record(messageID, .suppressed, errorCode: nil)
                return .delivered
            }
            if let until = deferUntil {
                counters.increment("handoff_sms_deferred_total")
                try await record(messageID, .deferred, errorCode: nil)
                return .deferred(until: until)
            }
            try await record(messageID, .sending, errorCode: nil)
            let text = (try? JSONDecoder().decode(SMSPayload.self, from: Data(item.payload.utf8)))?.body ?? message.body
            let receipt = try await limiter.run {
                await pacer.wait()
                return try await timedSend(OutboundSMS(to: phone, body: text, statusCallbackURL: statusCallbackURL))
            }
            counters.increment("handoff_sms_sent_total")
            try await record(
                messageID, .sent, errorCode: nil, providerMessageID: receipt.providerMessageID,
                segments: receipt.segments)
            return .delivered
        } catch let error as GatewayError {
            return await settleRefusal(error, messageID: messageID)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    /// Sends through the gateway, recording how long it took by result.
    private func timedSend(_ sms: OutboundSMS) async throws(GatewayError) -> SendReceipt {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let receipt = try await gateway.send(sms)
            counters.gatewaySendDuration.observe("sent", seconds: (clock.now - start).inSeconds)
            return receipt
        } catch {
            counters.gatewaySendDuration.observe("\(error.kind)", seconds: (clock.now - start).inSeconds)
            throw error
        }
    }

    /// A refusal from the gateway: suppress on opt-out, fail for good, or try again later.
    private func settleRefusal(_ error: GatewayError, messageID: String) async -> OutboxDispatcher.Outcome {
        if error.isRetryable { return .retry(error.code, retryAfter: error.retryAfter) }
        counters.increment("handoff_sms_failed_total", [("class", "\(error.kind)")])
        if error.kind == .recipientOptedOut {
            counters.increment("handoff_optouts_total", [("method", "gateway_error_21610")])
        }
        do {
            try await record(
                messageID, .failed, errorCode: error.providerCode, suppressRecipient: error.kind == .recipientOptedOut)
        } catch {
            return .retry("could not record the failure: \(error)", retryAfter: nil)
        }
        return .failed(error.code)
    }

    /// The last retry failed: the message failed.
    func gaveUp(_ item: OutboxItem) async {
        guard let messageID = item.messageID else { return }
        counters.increment("handoff_sms_failed_total", [("class", "gave_up")])
        try? await record(messageID, .failed, errorCode: nil)
    }

    // MARK: Delivery reports

    /// A delivery report from the gateway: applied only when it moves the message forward.
    /// Reports for unknown messages are acknowledged and ignored; an opt-out code suppresses the number.
    package func apply(_ report: DeliveryReport) async throws {
        guard let status = DeliveryStatus(gatewayStatus: report.status) else { return }
        let now = now()
        let webhooks = webhooks
        let event = try await database.write { connection -> ConversationEventRecord? in
            let chat = ChatRepository(connection)
            guard let message = try chat.message(providerMessageID: report.providerMessageID) else { return nil }
            if report.errorCode == 21610, let phone = message.toE164 ?? report.to {
                try SuppressionRepository(connection).add(
                    phone, reason: "carrier_opt_out", source: report.providerMessageID, actor: "gateway",
                    requestID: RequestOrigin.requestID, now: now)
            }
            return try Self.advance(
                message, to: status, errorCode: report.errorCode, connection: connection, webhooks: webhooks, now: now)
        }
        if let event { events.publish([event]) }
    }

    private func record(
        _ messageID: String, _ status: DeliveryStatus, errorCode: Int?, providerMessageID: String? = nil,
        segments: Int? = nil, suppressRecipient: Bool = false
    ) async throws {
        let now = now()
        let webhooks = webhooks
        let event = try await database.write { connection -> ConversationEventRecord? in
            let chat = ChatRepository(connection)
            guard var message = try chat.message(id: messageID) else { return nil }
            if let providerMessageID { message.providerMessageID = providerMessageID }
            if let segments { message.segments = segments }
            if suppressRecipient, let phone = message.toE164 {
                try SuppressionRepository(connection).add(
                    phone, reason: "carrier_opt_out", source: messageID, actor: "gateway",
                    requestID: RequestOrigin.requestID, now: now)
            }
            return try Self.advance(
                message, to: status, errorCode: errorCode, connection: connection, webhooks: webhooks, now: now,
                force: status == .sending || status == .deferred)
        }
        if let event { events.publish([event]) }
    }

    /// Writes `status` when it moves the message forward (or `force`, for our own pre-send steps),
    /// with its event and webhook; returns the event, or nil when nothing changed.
    static func advance(
        _ message: MessageRecord, to status: DeliveryStatus, errorCode: Int?, connection: any Connection,
        webhooks: EventWebhooks, now: Int64, force: Bool = false
    ) throws -> ConversationEventRecord? {
        var message = message
        let current = DeliveryStatus(rawValue: message.status) ?? .queued
        guard force ? !current.isTerminal : current.canAdvance(to: status) else {
            if message.providerMessageID != nil { try ChatRepository(connection).updateDelivery(message) }
            return nil
        }
        message.status = status.rawValue
        message.errorCode = errorCode ?? message.errorCode
        message.updatedAt = now
        let chat = ChatRepository(connection)
        try chat.updateDelivery(message)
        let update = MessageStatusJSON(
            id: message.id, conversationID: message.conversationID, status: message.status,
            errorCode: message.errorCode,
            segments: message.segments)
        let payload = try JSONPayload.string(update)
        let event = try chat.appendEvent(
            conversationID: message.conversationID, type: "message_status", payload: payload, now: now)
        try webhooks.record("message.status", update, connection: connection, now: now)
        return event
    }
}

/// What an `sms` outbox row carries besides its message id: the text to send, when it differs
/// from the one in the history (a verification code).
package struct SMSPayload: Codable, Sendable {
    /// The recipient, for ordering texts to one phone.
    var to: String?
    var body: String?
}

/// `message_status` events and `message.status` webhooks.
package struct MessageStatusJSON: Codable, Sendable {
    var id: String
    var conversationID: String
    var status: String
    var errorCode: Int?
    var segments: Int?

    package enum CodingKeys: String, CodingKey {
        case id, status, segments
        case conversationID = "conversation_id"
        case errorCode = "error_code"
    }
}

/// Delivers `sms` outbox rows through `SMSService`.
package struct SMSDeliveryHandler: OutboxDispatcher.Handler {
    let sms: SMSService

    package init(sms: SMSService) {
        self.sms = sms
    }

    package func deliver(_ item: OutboxItem) async -> OutboxDispatcher.Outcome { await sms.deliver(item) }

    package func gaveUp(_ item: OutboxItem, error: String) async { await sms.gaveUp(item) }

    /// Texts to one phone go out in the order they were written.
    package func orderingKey(_ item: OutboxItem) -> String? {
        (try? JSONDecoder().decode(SMSPayload.self, from: Data(item.payload.utf8)))?.to
    }
}
