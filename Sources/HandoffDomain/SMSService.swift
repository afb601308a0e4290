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
    private let timeline: Timeline
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
        // Delivery reports change statuses only: their `message.status` webhooks wait for the
        // dispatcher's next round, as they always did.
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in }
        self.gateway = gateway
        self.statusCallbackURL = statusCallbackURL
        self.limiter = AsyncLimiter(limit: maxInFlight)
        self.counters = counters
        self.pacer = SendPacer(perSecond: perSecond)
        self.currentQuietHours = Reloadable(quietHours)
        self.now = now
    }

    /// Inside the caller's transaction: an outbound SMS message (with its event and webhook) and
    /// its outbox row. `priority` 0 is a reply in a live conversation, 1 a proactive send.
    /// `recordedBody` replaces the text in the conversation's history when the text itself must not
    /// be kept there (a verification code); the SMS still carries `body`.
    @discardableResult
    static func enqueue(
        conversationID: String, to phone: String, body: String, author: Author, agent: AgentRecord? = nil,
        priority: Int, timeline: TimelineWriter, now: Int64, recordedBody: String? = nil, clientKey: String? = nil,
        policy: SMSPolicy = .standard, marketing: Bool = false
    ) throws -> MessageRecord {
        let body = try policy.prepare(body)
        let message = try timeline.append(
            MessageRecord(
                id: Identifiers.make("msg"), conversationID: conversationID, direction: .outbound, channel: .sms,
                author: author, body: recordedBody ?? body, status: DeliveryStatus.queued.rawValue,
                segments: SMSSegments(body: body).count, toE164: phone, agentID: agent?.id, agentName: agent?.name,
                createdAt: now, updatedAt: now),
            clientKey: clientKey)
        // The text to send travels in the outbox row only when the history keeps another one.
        let payload = try JSONPayload.string(
            SMSPayload(to: phone, body: recordedBody == nil ? nil : body, marketing: marketing ? true : nil))
        // One lane per phone: texts to it go out in the order they were written.
        try timeline.enqueue(
            kind: OutboxKind.sms, payload: payload, messageID: message.id, lane: phone, priority: priority, now: now)
        return message
    }

    /// Takes new quiet hours and caps (SIGHUP); texts already deferred are checked again when due.
    package func reload(quietHours: QuietHoursPolicy?) { currentQuietHours.replace(with: quietHours) }

    // MARK: Delivery

    /// In the transaction that claims an `sms` row, right before its send: a text whose number is
    /// suppressed is not sent, one outside quiet hours waits, one the gateway already accepted (before
    /// a crash) is done; any other is marked `sending`.
    func begin(_ attempt: SMSAttempt, timeline: TimelineWriter, now: Int64) throws
        -> OutboxDispatcher.Begun<SMSAttempt>
    {
        guard let messageID = attempt.messageID else { return .settled(.failed("sms row without a message")) }
        let connection = timeline.connection
        guard let message = try ChatRepository(connection).message(id: messageID), let phone = message.toE164 else {
            return .settled(.failed("message \(messageID) is gone"))
        }
        // Accepted by the gateway before a crash (its id is recorded): never send it again.
        if message.providerMessageID != nil { return .settled(.delivered) }
        if try SuppressionRepository(connection).isSuppressed(phone) {
            timeline.count("handoff_sms_suppressed_total", in: counters)
            try Self.advance(message, to: .suppressed, errorCode: nil, timeline: timeline, now: now)
            return .settled(.delivered)
        }
        if let until = try quietHours?.deferral(
            for: message, marketing: attempt.payload?.marketing == true, connection: connection, now: now)
        {
            timeline.count("handoff_sms_deferred_total", in: counters)
            try Self.advance(message, to: .deferred, errorCode: nil, timeline: timeline, now: now, force: true)
            return .settled(.deferred(until: until))
        }
        var attempt = attempt
        attempt.message =
            try Self.advance(message, to: .sending, errorCode: nil, timeline: timeline, now: now, force: true)
            ?? message
        return .send(attempt)
    }

    /// Sends a text `begin` let through, keeping the gateway's receipt or refusal in `attempt`.
    func send(_ attempt: inout SMSAttempt) async -> OutboxDispatcher.Outcome {
        guard let message = attempt.message, let phone = message.toE164 else { return .failed("no message to send") }
        let sms = OutboundSMS(
            to: phone, body: attempt.payload?.body ?? message.body, statusCallbackURL: statusCallbackURL)
        do {
            attempt.receipt = try await limiter.run {
                await pacer.wait()
                return try await timedSend(sms)
            }
            counters.increment("handoff_sms_sent_total")
            return .delivered
        } catch let error as GatewayError {
            attempt.refusal = error
            if error.isRetryable { return .retry(error.code, retryAfter: error.retryAfter) }
            counters.increment("handoff_sms_failed_total", [("class", "\(error.kind)")])
            if error.kind == .recipientOptedOut {
                counters.increment("handoff_optouts_total", [("method", "gateway_error_21610")])
            }
            return .failed(error.code)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    /// In the transaction that settles the row: `sent` with the gateway's id, or `failed` (a
    /// refusal, suppressing the number on a carrier opt-out; or the last retry gone).
    func finish(_ attempt: SMSAttempt, _ settlement: OutboxDispatcher.Settlement, timeline: TimelineWriter, now: Int64)
        throws
    {
        guard var message = attempt.message else { return }
        switch settlement {
        case .done:
            guard let receipt = attempt.receipt else { return }
            message.providerMessageID = receipt.providerMessageID
            if let segments = receipt.segments { message.segments = segments }
            try Self.advance(message, to: .sent, errorCode: nil, timeline: timeline, now: now)
        case .dead(let gaveUp):
            if gaveUp {
                timeline.count("handoff_sms_failed_total", [("class", "gave_up")], in: counters)
                try Self.advance(message, to: .failed, errorCode: nil, timeline: timeline, now: now)
                return
            }
            if attempt.refusal?.kind == .recipientOptedOut, let phone = message.toE164 {
                try SuppressionRepository(timeline.connection).add(
                    phone, reason: "carrier_opt_out", source: message.id, actor: "gateway",
                    requestID: RequestOrigin.requestID, now: now)
            }
            try Self.advance(
                message, to: .failed, errorCode: attempt.refusal?.providerCode, timeline: timeline, now: now)
        case .pending:
            break
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

    // MARK: Delivery reports

    /// A delivery report from the gateway: applied only when it moves the message forward.
    /// Reports for unknown messages are acknowledged and ignored; an opt-out code suppresses the number.
    package func apply(_ report: DeliveryReport) async throws {
        guard let status = DeliveryStatus(gatewayStatus: report.status) else { return }
        let now = now()
        try await timeline.write { timeline in
            guard
                let message = try ChatRepository(timeline.connection).message(
                    providerMessageID: report.providerMessageID)
            else { return }
            if report.errorCode == 21610, let phone = message.toE164 ?? report.to {
                try SuppressionRepository(timeline.connection).add(
                    phone, reason: "carrier_opt_out", source: report.providerMessageID, actor: "gateway",
                    requestID: RequestOrigin.requestID, now: now)
            }
            try Self.advance(message, to: status, errorCode: report.errorCode, timeline: timeline, now: now)
        }
    }

    /// Writes `status` when it moves the message forward (or `force`, for our own pre-send steps),
    /// with its `message_status` event and `message.status` webhook; returns the message as
    /// written, or nil when its status did not change.
    @discardableResult
    static func advance(
        _ message: MessageRecord, to status: DeliveryStatus, errorCode: Int?, timeline: TimelineWriter, now: Int64,
        force: Bool = false
    ) throws -> MessageRecord? {
        var message = message
        let chat = ChatRepository(timeline.connection)
        let current = DeliveryStatus(rawValue: message.status) ?? .queued
        guard force ? !current.isTerminal : current.canAdvance(to: status) else {
            if message.providerMessageID != nil { try chat.updateDelivery(message) }
            return nil
        }
        message.status = status.rawValue
        message.errorCode = errorCode ?? message.errorCode
        message.updatedAt = now
        try chat.updateDelivery(message)
        let update = MessageStatusJSON(
            id: message.id, conversationID: message.conversationID, status: message.status,
            errorCode: message.errorCode,
            segments: message.segments)
        try timeline.appendEvent(conversationID: message.conversationID, type: "message_status", update, now: now)
        try timeline.recordWebhook("message.status", update, now: now)
        return message
    }
}

/// What an `sms` outbox row carries besides its message id: the text to send, when it differs
/// from the one in the history (a verification code).
package struct SMSPayload: Codable, Sendable {
    /// The recipient, for ordering texts to one phone.
    var to: String?
    var body: String?
    /// A text of a marketing program: quiet hours add the state rules (absent otherwise).
    var marketing: Bool?
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

/// One attempt at a text: what its outbox row carries (decoded once), its message as the claim
/// read it, and the gateway's answer.
package struct SMSAttempt: Sendable {
    let messageID: String?
    let payload: SMSPayload?
    /// Set by `SMSService.begin`.
    var message: MessageRecord?
    /// Set by `SMSService.send`: the gateway accepted the text, or refused it.
    var receipt: SendReceipt?
    var refusal: GatewayError?
}

/// Delivers `sms` outbox rows through `SMSService`.
package struct SMSDeliveryHandler: OutboxDispatcher.Handler {
    let sms: SMSService

    package init(sms: SMSService) {
        self.sms = sms
    }

    package func attempt(for item: OutboxItem) -> SMSAttempt {
        SMSAttempt(
            messageID: item.messageID,
            payload: try? JSONDecoder().decode(SMSPayload.self, from: Data(item.payload.utf8)))
    }

    package func begin(_ attempt: SMSAttempt, item: OutboxItem, timeline: TimelineWriter, now: Int64) throws
        -> OutboxDispatcher.Begun<SMSAttempt>
    { try sms.begin(attempt, timeline: timeline, now: now) }

    package func deliver(_ attempt: inout SMSAttempt) async -> OutboxDispatcher.Outcome { await sms.send(&attempt) }

    package func finish(
        _ attempt: SMSAttempt, _ settlement: OutboxDispatcher.Settlement, timeline: TimelineWriter, now: Int64
    ) throws { try sms.finish(attempt, settlement, timeline: timeline, now: now) }
}
