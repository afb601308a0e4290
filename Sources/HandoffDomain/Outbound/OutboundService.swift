package import DatabaseDriver
import Foundation
package import HandoffCore
import Storage

/// Proactive texts (API.md "Proactive texts"): a business texts someone who opted in to a
/// program, from an approved template. Every check runs before anything is queued, in one
/// transaction with the write: the template is approved, the variables are present and typed,
/// the number is not suppressed and has an active consent for the program, the program's daily
/// cap is not reached (nor, for a marketing program, its state's limit: `StateMarketingRules`).
/// The text joins the contact's conversation (opened, or a closed one reopened), so the reply
/// resumes that thread.
package final class OutboundService: Sendable {
    /// What texts are rendered with; replaced on SIGHUP.
    package struct Settings: Sendable {
        var brand: String
        var programs: ProgramCatalog
        var defaultRegion: String
        var smsPolicy: SMSPolicy

        package init(brand: String, programs: ProgramCatalog, defaultRegion: String, smsPolicy: SMSPolicy) {
            self.brand = brand
            self.programs = programs
            self.defaultRegion = defaultRegion
            self.smsPolicy = smsPolicy
        }
    }

    /// The longest a text may be scheduled ahead.
    static let maxScheduleMilliseconds: Int64 = 90 * 86_400_000
    /// Most recipients in one batch.
    package static let maxBatch = 1000

    private let database: any Database
    /// Queues the texts (their messages, events and webhooks) and wakes streams and the dispatcher.
    private let timeline: Timeline
    private let settings: Reloadable<Settings>
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks, settings: Settings,
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.settings = Reloadable(settings)
        self.now = now
    }

    package func reload(_ settings: Settings) { self.settings.replace(with: settings) }

    /// Accepts one text, or refuses it with nothing queued. A retry with the same `clientKey`
    /// returns the first result (`created` false).
    package func send(_ request: OutboundRequest, clientKey: String?) async throws -> (
        outbound: OutboundJSON, created: Bool
    ) {
        let settings = settings.value
        let now = now()
        let sendAt = try Self.sendAt(request.sendAt, now: now)
        guard let program = settings.programs.program(request.program) else {
            throw UseCaseError(
                .invalid, code: "unknown_program", message: "No program \(request.program) is configured.",
                field: "program")
        }
        let recipient = try Self.recipient(request.to, defaultRegion: settings.defaultRegion)
        let (record, message, created) = try await timeline.write {
            timeline -> (OutboundRecord, MessageRecord?, Bool) in
            let connection = timeline.connection
            if let clientKey, let earlier = try OutboundRepository(connection).outbound(clientKey: clientKey) {
                return (earlier, nil, false)
            }
            let accepted = try Self.accept(
                request, recipient: recipient, program: program, sendAt: sendAt, settings: settings,
                timeline: timeline, now: now)
            var record = accepted
            var queued: MessageRecord?
            if sendAt <= now {
                queued = try SMSService.enqueue(
                    conversationID: record.conversationID, to: record.toE164, body: record.body, author: .bot,
                    priority: 1, timeline: timeline, now: now, policy: settings.smsPolicy,
                    marketing: program.kind == .marketing)
                record.state = "released"
                record.messageID = queued?.id
            }
            guard try OutboundRepository(connection).insert(record, clientKey: clientKey) else {
                throw UseCaseError(.conflict, code: "duplicate", message: "This client_id was used at the same time.")
            }
            return (record, queued, true)
        }
        return (try await view(record, message: message), created)
    }

    /// Accepts each recipient as `send` would, concurrently; one result per recipient, in order.
    package func sendBatch(_ batch: OutboundBatchRequest) async -> [OutboundBatchResultJSON] {
        await withTaskGroup(of: (Int, OutboundBatchResultJSON).self) { group in
            var results: [OutboundBatchResultJSON?] = Array(repeating: nil, count: batch.recipients.count)
            var next = 0
            func addNext() {
                guard next < batch.recipients.count else { return }
                let index = next
                next += 1
                let recipient = batch.recipients[index]
                let request = OutboundRequest(
                    to: recipient.to, program: batch.program, template: batch.template,
                    variables: recipient.variables, locale: recipient.locale, sendAt: recipient.sendAt,
                    campaign: batch.campaign)
                group.addTask {
                    do {
                        let (outbound, _) = try await self.send(request, clientKey: recipient.clientID)
                        return (index, OutboundBatchResultJSON(index: index, outbound: outbound, error: nil))
                    } catch let error as UseCaseError {
                        return (index, OutboundBatchResultJSON(index: index, outbound: nil, error: .init(error)))
                    } catch {
                        let unavailable = UseCaseError(
                            .unavailable(retryAfterSeconds: 1), code: "unavailable",
                            message: "Not accepted now; send this recipient again.")
                        return (index, OutboundBatchResultJSON(index: index, outbound: nil, error: .init(unavailable)))
                    }
                }
            }
            // Enough at once for the writer to group many into one commit, few enough to bound memory.
            for _ in 0..<64 { addNext() }
            for await (index, result) in group {
                results[index] = result
                addNext()
            }
            return results.compactMap { $0 }
        }
    }

    package func outbound(id: String) async throws -> OutboundJSON {
        let (record, message) = try await database.read { connection -> (OutboundRecord?, MessageRecord?) in
            let record = try OutboundRepository(connection).outbound(id: id)
            return (record, try record?.messageID.flatMap { try ChatRepository(connection).message(id: $0) })
        }
        guard let record else { throw Self.notFound }
        return OutboundJSON(record, message: message)
    }

    /// Cancels a text until it leaves: a scheduled one, or a released one whose message still waits
    /// in the outbox (deferred by quiet hours, or queued); 409 `already_sent` once it is being sent.
    package func cancel(id: String) async throws -> OutboundJSON {
        let now = now()
        let canceled = try await timeline.write { timeline -> (OutboundRecord, MessageRecord?)? in
            let connection = timeline.connection
            let outbound = OutboundRepository(connection)
            guard let record = try outbound.outbound(id: id) else { return nil }
            let message = try record.messageID.flatMap { try ChatRepository(connection).message(id: $0) }
            if record.state == "canceled" { return (record, message) }
            if try outbound.settle(id: id, state: "canceled", messageID: nil, now: now) {
                return (try outbound.outbound(id: id) ?? record, nil)
            }
            guard record.state == "released", let message,
                [DeliveryStatus.queued, .deferred].contains(DeliveryStatus(rawValue: message.status)),
                try OutboxRepository(connection).withdraw(messageID: message.id, now: now),
                try outbound.cancelReleased(id: id, now: now)
            else {
                throw UseCaseError(
                    .conflict, code: "already_sent", message: "The text has left; it can no longer be canceled.")
            }
            let withdrawn = try SMSService.advance(
                message, to: .canceled, errorCode: nil, timeline: timeline, now: now, force: true)
            return (try outbound.outbound(id: id) ?? record, withdrawn ?? message)
        }
        guard let (record, message) = canceled else { throw Self.notFound }
        return OutboundJSON(record, message: message)
    }

    /// Hands the scheduled texts due now to the outbox, checking suppression and consent again
    /// (STOP between scheduling and sending means nothing leaves); returns how many it released.
    @discardableResult
    package func releaseDue(limit: Int = 200) async throws -> Int {
        let now = now()
        let settings = settings.value
        return try await timeline.write { timeline -> Int in
            let connection = timeline.connection
            let outbound = OutboundRepository(connection)
            var released = 0
            for record in try outbound.due(now: now, limit: limit) {
                guard try ConsentService.isActive(phone: record.toE164, program: record.program, connection: connection)
                else {
                    _ = try outbound.settle(id: record.id, state: "suppressed", messageID: nil, now: now)
                    continue
                }
                // Claimed first: a row another node released meanwhile is left alone.
                guard try outbound.settle(id: record.id, state: "released", messageID: nil, now: now) else { continue }
                let message = try SMSService.enqueue(
                    conversationID: record.conversationID, to: record.toE164, body: record.body, author: .bot,
                    priority: 1, timeline: timeline, now: now, policy: settings.smsPolicy,
                    marketing: settings.programs.program(record.program)?.kind == .marketing)
                try outbound.attach(id: record.id, messageID: message.id)
                released += 1
            }
            return released
        }
    }

    /// When the next scheduled text is due, if any (the scheduler sleeps until then).
    package func nextDue() async throws -> Int64? {
        try await database.read { try OutboundRepository($0).nextDue() }
    }

    // MARK: Checks

    /// Who a text is for: a number, a contact by id, or a contact by the business's id.
    enum Recipient {
        case phone(String)
        case contact(String)
        case externalID(String)
    }

    private static func recipient(_ reference: RecipientReference, defaultRegion: String) throws(UseCaseError)
        -> Recipient
    {
        let to: String
        switch reference {
        case .externalID(let id):
            if let problem = reference.problem {
                throw UseCaseError(.invalid, code: problem.code, message: problem.message, field: problem.field)
            }
            return .externalID(id)
        case .text(let text): to = text
        }
        if to.hasPrefix("ct_") { return .contact(to) }
        do {
            return .phone(try PhoneNumber(parsing: to, defaultRegion: defaultRegion).e164)
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: "to")
        }
    }

    private static func sendAt(_ text: String?, now: Int64) throws(UseCaseError) -> Int64 {
        guard let text else { return now }
        guard let time = Timestamp(parsing: text)?.unixMilliseconds, time <= now + maxScheduleMilliseconds else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "send_at is an RFC 3339 time at most 90 days ahead.",
                field: "send_at")
        }
        return max(time, now)
    }

    /// Runs every check of `request` inside the write and returns the row to store (scheduled).
    private static func accept(
        _ request: OutboundRequest, recipient: Recipient, program: Program, sendAt: Int64, settings: Settings,
        timeline: TimelineWriter, now: Int64
    ) throws -> OutboundRecord {
        let connection = timeline.connection
        let (phone, contact) = try resolve(recipient, connection: connection, now: now)
        let template = try template(
            request.template, locale: request.locale ?? contact.locale, connection: connection)
        guard template.program == program.id else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "The template belongs to program \(template.program).",
                field: "template")
        }
        guard let approvedVersion = template.approvedVersion, template.archivedAt == nil,
            let approved = try TemplateRepository(connection).template(id: template.id, version: approvedVersion)
        else {
            throw UseCaseError(
                .invalid, code: "template_not_approved", message: "The template has no approved version.",
                field: "template")
        }
        let content = try TemplateService.content(of: approved.version)
        let variant = TemplateVariantChooser.variant(
            of: content.variants, templateID: template.id, contactKey: contact.id)
        let body: String
        do {
            body = try content.render(
                request.variables, locale: request.locale ?? contact.locale ?? template.locale, brand: settings.brand,
                variant: variant)
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: error.field)
        }
        if try SuppressionRepository(connection).isSuppressed(phone) {
            throw UseCaseError(.conflict, code: "suppressed", message: "The number texted STOP.")
        }
        guard try ConsentService.isActive(phone: phone, program: program.id, connection: connection) else {
            throw UseCaseError(
                .conflict, code: "no_consent", message: "The number has no active consent for \(program.id).")
        }
        if let cap = program.dailyCap,
            let freeAt = try DailyCap.reached(
                cap, phone: phone, program: program.id, sendAt: sendAt,
                zones: QuietHoursPolicy.zones(reported: contact.timeZone, phone: phone), connection: connection)
        {
            throw UseCaseError(
                .rateLimited(retryAfterSeconds: Int(max(1, (freeAt - now + 999) / 1000))), code: "frequency_cap",
                message: "\(program.id) allows \(cap) texts a day (the recipient's local day) to one number.")
        }
        if program.kind == .marketing, let limit = Self.stateTextsPerDay(phone) {
            let marketing = settings.programs.programs.filter { $0.kind == .marketing }
            let times = try marketing.flatMap {
                try OutboundRepository(connection).sendTimes(to: phone, program: $0.id, since: sendAt - 86_400_000)
            }
            if let freeAt = DailyCap.rollingReached(limit, times: times, sendAt: sendAt) {
                throw UseCaseError(
                    .rateLimited(retryAfterSeconds: Int(max(1, (freeAt - now + 999) / 1000))), code: "frequency_cap",
                    message: "The recipient's state allows \(limit) marketing texts in 24 hours to one number.")
            }
        }
        let conversation = try ContactThreads.conversation(
            contactID: contact.id, timeline: timeline, now: now, campaign: request.campaign)
        return OutboundRecord(
            id: Identifiers.make("out"), toE164: phone, contactID: contact.id, conversationID: conversation,
            program: program.id, templateID: template.id, templateVersion: approvedVersion, variant: variant?.id,
            campaign: request.campaign, body: body, state: "scheduled", messageID: nil, sendAt: sendAt, createdAt: now,
            updatedAt: now)
    }

    /// The most marketing texts in 24 hours the state of `phone` allows, if it limits them.
    private static func stateTextsPerDay(_ phone: String) -> Int? {
        guard let number = try? PhoneNumber(parsing: phone, defaultRegion: "US") else { return nil }
        return number.subdivision.flatMap { StateMarketingRules.textsPerDay[$0] }
    }

    /// The number and the contact: a contact by id or external id must have a number; a number we
    /// never saw gets a contact.
    private static func resolve(_ recipient: Recipient, connection: any Connection, now: Int64) throws -> (
        String, ContactRecord
    ) {
        let chat = ChatRepository(connection)
        let known: ContactRecord?
        switch recipient {
        case .phone(let phone):
            return (phone, try ContactThreads.contact(phone: phone, connection: connection, now: now))
        case .contact(let id): known = try chat.contact(id: id)
        case .externalID(let id): known = try chat.contact(externalID: id)
        }
        guard let contact = known else {
            throw UseCaseError(.invalid, code: "unknown_contact", message: "No such contact.", field: "to")
        }
        guard let phone = contact.phoneE164 else {
            throw UseCaseError(
                .conflict, code: "no_consent", message: "The contact has no verified number.", field: "to")
        }
        return (phone, contact)
    }

    /// The template named by `reference`: an id, or a name whose best locale for the recipient
    /// is taken among its live templates.
    private static func template(_ reference: String, locale: String?, connection: any Connection) throws
        -> TemplateRecord
    {
        let templates = TemplateRepository(connection)
        if let byID = try templates.template(id: reference) { return byID }
        let named = try templates.live(name: reference)
        let locales = named.map(\.locale)
        let chosen = TemplateLocale.best(
            for: locale, among: locales, fallback: locales.contains("en") ? "en" : locales.first ?? "")
        guard let template = named.first(where: { $0.locale == chosen }) else {
            throw UseCaseError(.invalid, code: "unknown_template", message: "No such template.", field: "template")
        }
        return template
    }

    private func view(_ record: OutboundRecord, message: MessageRecord?) async throws -> OutboundJSON {
        if let message { return OutboundJSON(record, message: message) }
        return try await outbound(id: record.id)
    }

    private static let notFound = UseCaseError(.notFound, code: "not_found", message: "No such outbound text.")
}
