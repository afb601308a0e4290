package import DatabaseDriver
import Foundation
package import HandoffCore
import Storage

/// Consent per program (API.md "Programs and consent"): opt-ins obtained elsewhere recorded with
/// their evidence, one program ended without touching the others, and where a number's consent
/// to a program stands. STOP (a suppression) ends every program; the ledger stays append-only.
package final class ConsentService: Sendable {
    private let database: any Database
    /// Writes the confirmation text a pending opt-in sends.
    private let timeline: Timeline
    private let programs: @Sendable () -> ProgramCatalog
    private let brand: @Sendable () -> String
    private let now: @Sendable () -> Int64

    /// Sources an opt-in recorded through the API may come from.
    static let sources: Set<String> = ["web_form", "paper", "ivr", "import", "api"]
    /// How far in the future `captured_at` may be (clocks disagree a little).
    static let clockSkewMilliseconds: Int64 = 5 * 60_000

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks,
        programs: @escaping @Sendable () -> ProgramCatalog, brand: @escaping @Sendable () -> String,
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.programs = programs
        self.brand = brand
        self.now = now
    }

    /// Records an opt-in to `request.program` for `phone`: active at once, or pending until the
    /// number answers YES when `confirmByText` (required for marketing programs). A retry with the
    /// same `clientKey` returns the first entry (`created` false).
    package func record(phone: String, _ request: ConsentRequest, clientKey: String?) async throws -> (
        consent: ConsentJSON, created: Bool
    ) {
        let program = try program(request.program)
        guard Self.sources.contains(request.source) else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "source is web_form, paper, ivr, import or api.",
                field: "source")
        }
        guard !request.disclosureText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "disclosure_text is the disclosure the person agreed to.",
                field: "disclosure_text")
        }
        let now = now()
        guard let captured = Timestamp(parsing: request.capturedAt),
            captured.unixMilliseconds <= now + Self.clockSkewMilliseconds
        else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "captured_at is an RFC 3339 time, not in the future.",
                field: "captured_at")
        }
        let confirmByText = request.confirmBySMS ?? false
        if program.kind == .marketing, !confirmByText {
            throw UseCaseError(
                .invalid, code: "confirmation_required",
                message: "A marketing program needs the number's own YES: send confirm_by_sms: true.",
                field: "confirm_by_sms")
        }
        let evidence = try request.evidence.map { try JSONPayload.string($0) }
        let entry = ConsentRecord(
            phoneE164: phone, contactID: nil, program: program.id,
            event: confirmByText ? "opt_in_requested" : "opt_in_confirmed", method: "api",
            sessionID: nil, ipAddress: request.evidence?.ip, userAgent: request.evidence?.userAgent,
            pageURL: request.evidence?.pageURL, locale: nil, disclosureText: request.disclosureText,
            disclosureVersion: HandoffFlow.disclosureVersion(request.disclosureText), createdAt: now,
            source: request.source, capturedAt: captured.unixMilliseconds, evidence: evidence, clientKey: clientKey)
        let confirmation = confirmByText ? SystemTexts(brand: brand(), locale: nil).optInQuestion(program) : nil
        let (stored, created) = try await timeline.write { timeline -> (ConsentRecord, Bool) in
            let connection = timeline.connection
            let ledger = HandoffRepository(connection)
            if let clientKey, let earlier = try ledger.consent(clientKey: clientKey) { return (earlier, false) }
            if !confirmByText, try SuppressionRepository(connection).isSuppressed(phone) {
                throw UseCaseError(
                    .conflict, code: "suppressed",
                    message: "The number texted STOP; only its own YES or START can opt it in again.")
            }
            var entry = entry
            entry.contactID = try ledger.contact(phone: phone)
            if let confirmation {
                // The number's own YES confirms it: ask for it in the contact's thread.
                let contact = try ContactThreads.contact(phone: phone, connection: connection, now: now)
                entry.contactID = contact.id
                _ = try SMSService.enqueue(
                    conversationID: try ContactThreads.conversation(
                        contactID: contact.id, timeline: timeline, now: now),
                    to: phone, body: confirmation, author: .system, priority: 0, timeline: timeline, now: now)
            }
            entry.seq = try ledger.append(entry)
            return (entry, true)
        }
        return (ConsentJSON(stored), created)
    }

    /// The ledger methods of a pending opt-in the number's own YES confirms: one recorded through
    /// the API with `confirm_by_sms`, and one the number started by texting a program's keyword.
    static let confirmableMethods: Set<String> = ["api", sourceKeyword]
    /// The source (and method) of an opt-in started by texting a program's keyword.
    static let sourceKeyword = "sms_keyword"

    /// The newest ledger entries for `phone` that are opt-ins still waiting for the number's YES
    /// (recorded through the API, or started by a program keyword), by program.
    static func pendingOptIns(phone: String, connection: any Connection) throws -> [ConsentRecord] {
        var latest: [String: ConsentRecord] = [:]
        for entry in try HandoffRepository(connection).consents(phone: phone) { latest[entry.program] = entry }
        return latest.values.filter { $0.event == "opt_in_requested" && confirmableMethods.contains($0.method) }
            .sorted { $0.program < $1.program }
    }

    /// The programs with a pending opt-in of `phone` (`pendingOptIns`).
    package static func pendingPrograms(phone: String, connection: any Connection) throws -> [String] {
        try pendingOptIns(phone: phone, connection: connection).map(\.program)
    }

    /// Confirms the pending opt-ins of `phone` by its YES; returns the programs confirmed. Each
    /// confirmation keeps the source of the opt-in it confirms.
    package static func confirmPending(phone: String, contactID: String?, connection: any Connection, now: Int64)
        throws -> [String]
    {
        let pending = try pendingOptIns(phone: phone, connection: connection)
        for entry in pending {
            try HandoffRepository(connection).append(
                ConsentRecord(
                    phoneE164: phone, contactID: contactID, program: entry.program, event: "opt_in_confirmed",
                    method: "sms_yes", sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil, locale: nil,
                    disclosureText: nil, disclosureVersion: nil, createdAt: now, source: entry.source ?? "api"))
        }
        return pending.map(\.program)
    }

    /// STOP by text ends every program: each one whose consent stands (active or pending), other
    /// than `except` (whose entry the caller writes), gets its `opt_out` entry, so that a later
    /// YES to one program's opt-in (which lifts the suppression) restores that program only.
    static func endAll(
        phone: String, contactID: String, except: String, method: String, connection: any Connection, now: Int64
    ) throws {
        var latest: [String: ConsentRecord] = [:]
        let ledger = HandoffRepository(connection)
        for entry in try ledger.consents(phone: phone) { latest[entry.program] = entry }
        for entry in latest.values.sorted(by: { $0.program < $1.program })
        where entry.program != except && entry.event != "opt_out" {
            try ledger.append(
                ConsentRecord(
                    phoneE164: phone, contactID: contactID, program: entry.program, event: "opt_out", method: method,
                    sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil, locale: nil, disclosureText: nil,
                    disclosureVersion: nil, createdAt: now))
        }
    }

    /// `phone` texted `program`'s keyword: the program's double opt-in starts with a pending ledger
    /// entry (source `sms_keyword`, with the disclosure shown), and the answer is the confirmation
    /// text asking for YES, in the sender's language (`texts`). A number whose consent is active is told so and nothing is recorded;
    /// one already pending is asked again without a second entry.
    static func requestByKeyword(
        _ program: Program, phone: String, contactID: String, texts: SystemTexts, connection: any Connection,
        now: Int64
    ) throws -> String {
        let ledger = HandoffRepository(connection)
        let latest = try ledger.latestConsent(phone: phone, program: program.id)
        let confirmation = texts.optInQuestion(program)
        if try isActive(phone: phone, program: program.id, connection: connection) {
            return texts.alreadySubscribed(program)
        }
        if let latest, latest.event == "opt_in_requested", confirmableMethods.contains(latest.method) {
            return confirmation
        }
        try ledger.append(
            ConsentRecord(
                phoneE164: phone, contactID: contactID, program: program.id, event: "opt_in_requested",
                method: sourceKeyword, sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil,
                locale: texts.language.rawValue,
                disclosureText: confirmation, disclosureVersion: HandoffFlow.disclosureVersion(confirmation),
                createdAt: now, source: sourceKeyword, capturedAt: now))
        return confirmation
    }

    /// Ends the number's consent to one program (a preference centre's "stop reminders"); the
    /// others stay as they are. Ending one that is not active records the refusal all the same.
    package func revoke(phone: String, program id: String) async throws -> ConsentJSON {
        let program = try program(id)
        let now = now()
        let stored = try await database.write { connection -> ConsentRecord in
            let ledger = HandoffRepository(connection)
            var entry = ConsentRecord(
                phoneE164: phone, contactID: try ledger.contact(phone: phone), program: program.id, event: "opt_out",
                method: "api", sessionID: nil, ipAddress: nil, userAgent: nil, pageURL: nil, locale: nil,
                disclosureText: nil, disclosureVersion: nil, createdAt: now, source: "api")
            entry.seq = try ledger.append(entry)
            return entry
        }
        return ConsentJSON(stored)
    }

    /// Whether `phone` may get proactive texts of `program` now: its newest ledger entry for the
    /// program is an opt-in and the number is not suppressed.
    package static func isActive(phone: String, program: String, connection: any Connection) throws -> Bool {
        guard !(try SuppressionRepository(connection).isSuppressed(phone)),
            let latest = try HandoffRepository(connection).latestConsent(phone: phone, program: program)
        else { return false }
        return ConsentState(ledgerEvent: latest.event) == .active
    }

    private func program(_ id: String) throws(UseCaseError) -> Program {
        guard let program = programs().program(id) else {
            throw UseCaseError(
                .invalid, code: "unknown_program", message: "No program \(id) is configured.", field: "program")
        }
        return program
    }
}

/// `POST /v1/contacts/{phone}/consents`.
package struct ConsentRequest: Decodable, Sendable {
    var program: String
    var source: String
    var disclosureText: String
    var capturedAt: String
    var evidence: ConsentEvidenceJSON?
    var confirmBySMS: Bool?
    package var clientID: String?

    enum CodingKeys: String, CodingKey {
        case program, source, evidence
        case disclosureText = "disclosure_text"
        case capturedAt = "captured_at"
        case confirmBySMS = "confirm_by_sms"
        case clientID = "client_id"
    }
}

extension ConsentRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        [
            .text(program, "program", FieldLimits.program), .text(disclosureText, "disclosure_text", 2000),
            .text(capturedAt, "captured_at", 40), .text(evidence?.ip, "evidence.ip", 64),
            .text(evidence?.userAgent, "evidence.user_agent", FieldLimits.userAgent),
            .text(evidence?.pageURL, "evidence.page_url", FieldLimits.pageURL),
            .text(evidence?.reference, "evidence.reference", 255), .text(clientID, "client_id", 255),
        ]
    }
}
