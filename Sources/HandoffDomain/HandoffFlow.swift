import Crypto
package import DatabaseDriver
import Foundation
package import HandoffCore
package import Storage

/// "Take this chat on the go": the double opt-in by code (or YES by SMS), the consent ledger,
/// joining the session to the contact of the verified phone, the context bridge texts, and
/// stopping texts from the web.
package final class HandoffFlow: Sendable {
    /// Who asked, for the consent ledger.
    package struct Requester: Sendable {
        var session: SessionRecord
        var conversationID: String
        var ipAddress: String
        var userAgent: String?
        var locale: String?

        package init(
            session: SessionRecord, conversationID: String, ipAddress: String, userAgent: String? = nil,
            locale: String? = nil
        ) {
            self.session = session
            self.conversationID = conversationID
            self.ipAddress = ipAddress
            self.userAgent = userAgent
            self.locale = locale
        }

    }

    /// Settings of the flow, from the configuration.
    package struct Settings: Sendable {
        var brand: String
        var program: String
        var defaultRegion: String
        var allowedRegions: Set<String>
        var consentText: String
        /// Disclosures per program and locale (see `Configuration.consentTexts`).
        var consentTexts: [String: String] = [:]
        /// The programs a handoff may name; `program` is the default one.
        var programs = ProgramCatalog()
        var confirmationTemplate: String
        var summaryTemplate: String
        var codeLifetimeMilliseconds: Int64 = 10 * 60_000
        var maxAttempts = 5
        var caps = CodeCaps()

        package init(
            brand: String, program: String, defaultRegion: String, allowedRegions: Set<String>, consentText: String,
            consentTexts: [String: String] = [:], programs: ProgramCatalog = ProgramCatalog(),
            confirmationTemplate: String, summaryTemplate: String,
            codeLifetimeMilliseconds: Int64 = 10 * 60_000, maxAttempts: Int = 5, caps: CodeCaps = CodeCaps()
        ) {
            self.brand = brand
            self.program = program
            self.defaultRegion = defaultRegion
            self.allowedRegions = allowedRegions
            self.consentText = consentText
            self.consentTexts = consentTexts
            self.programs = programs
            self.confirmationTemplate = confirmationTemplate
            self.summaryTemplate = summaryTemplate
            self.codeLifetimeMilliseconds = codeLifetimeMilliseconds
            self.maxAttempts = maxAttempts
            self.caps = caps
        }
    }

    /// Caps on the codes we text (SMS pumping), each over a sliding window of durable rows.
    package struct CodeCaps: Sendable, Equatable {
        /// To one number from one requester (its session, or its address) per hour: a stranger
        /// cannot spend the number owner's allowance.
        var perNumberPerRequesterPerHour = 3
        /// To one number from everyone per hour: the ceiling that stops flooding one phone.
        var perNumberPerHour = 10
        /// Asked for by one session per hour, to any numbers.
        var perSessionPerHour = 3
        /// Asked for from one client address per day.
        var perAddressPerDay = 20
        /// To the numbers of one country per hour.
        var perCountryPerHour = 500
        /// To the numbers of one NANP area code per hour.
        var perAreaCodePerHour = 100
        /// Every code, per hour.
        var perHour = 1000

        package init(
            perNumberPerRequesterPerHour: Int = 3,
            perNumberPerHour: Int = 10,
            perSessionPerHour: Int = 3,
            perAddressPerDay: Int = 20,
            perCountryPerHour: Int = 500,
            perAreaCodePerHour: Int = 100,
            perHour: Int = 1000,
        ) {
            self.perNumberPerRequesterPerHour = perNumberPerRequesterPerHour
            self.perNumberPerHour = perNumberPerHour
            self.perSessionPerHour = perSessionPerHour
            self.perAddressPerDay = perAddressPerDay
            self.perCountryPerHour = perCountryPerHour
            self.perAreaCodePerHour = perAreaCodePerHour
            self.perHour = perHour
        }

        /// Each cap's `/metrics` label, window and limit, for the numbers and requester of a request.
        func windows(
            phone: PhoneNumber, sessionID: String, ipAddress: String
        ) -> [(cap: String, scope: CodeScope, window: Int64, limit: Int)] {
            let hour: Int64 = 3_600_000
            var windows: [(cap: String, scope: CodeScope, window: Int64, limit: Int)] = [
                (
                    "number_requester_hour",
                    .phoneFromRequester(phone: phone.e164, sessionID: sessionID, ipAddress: ipAddress), hour,
                    perNumberPerRequesterPerHour
                ),
                ("number_hour", .phone(phone.e164), hour, perNumberPerHour),
                ("session_hour", .session(sessionID), hour, perSessionPerHour),
                ("address_day", .address(ipAddress), 24 * hour, perAddressPerDay),
                ("country_hour", .region(phone.regionCode), hour, perCountryPerHour),
                ("global_hour", .all, hour, perHour),
            ]
            if let areaCode = phone.areaCode {
                windows.append(("area_code_hour", .areaCode(areaCode), hour, perAreaCodePerHour))
            }
            return windows
        }

        /// Every cap by its `/metrics` label.
        var labelled: [(cap: String, limit: Int)] {

            [
                ("number_requester_hour", perNumberPerRequesterPerHour), ("number_hour", perNumberPerHour),
                ("session_hour", perSessionPerHour), ("address_day", perAddressPerDay),
                ("country_hour", perCountryPerHour), ("area_code_hour", perAreaCodePerHour), ("global_hour", perHour),
            ]
        }
    }

    private let database: any Database
    private let timeline: Timeline
    private let currentSettings: Reloadable<Settings>
    private var settings: Settings { currentSettings.value }
    private let counters: ServiceCounters
    private let routing: Routing?
    private let now: @Sendable () -> Int64

    /// `routing` escalates the conversation of a visitor who keeps typing wrong codes (none: nobody
    /// is told).
    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks, settings: Settings,
        counters: ServiceCounters = ServiceCounters(), routing: Routing? = nil,
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.currentSettings = Reloadable(settings)
        self.counters = counters
        self.routing = routing
        self.now = now
    }

    /// Wrong codes after which an agent is told (the visitor may still try until `maxAttempts`).
    static let wrongCodesBeforeAgent = 3

    /// Takes new texts and limits (SIGHUP); flows under way finish with either.
    package func reload(_ settings: Settings) { currentSettings.replace(with: settings) }

    /// The programs of this deployment, as configured now.
    package var programs: ProgramCatalog { settings.programs }

    /// The brand texts name, as configured now.
    package var brand: String { settings.brand }

    /// Refuses a program that is not configured (422 `unknown_program`), before anything is
    /// recorded.
    package func checkProgram(_ program: String?) throws(UseCaseError) {
        guard let program, settings.programs.program(program) == nil else { return }
        throw UseCaseError(
            .invalid, code: "unknown_program",
            message: "Unknown program; the programs here are "
                + settings.programs.programs.map(\.id).joined(separator: ", ") + ".",
            field: "program")
    }

    /// The disclosure the widget shows for a program and locale, exactly as it is recorded when
    /// the visitor accepts it: the program's configured disclosure for the locale (`programs:`),
    /// else from `consent_texts` `program/es-mx`, `program/es`, `program`, `es-mx`, `es`, then the default.
    package func disclosure(program: String? = nil, locale: String? = nil) -> String {
        let language =
            (locale ?? "").split(separator: ",").first.map { $0.split(separator: ";")[0] }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let base = language.split(separator: "-").first.map(String.init) ?? ""
        var keys: [String] = []
        if let program {
            keys += [program + "/" + language, program + "/" + base, program].map { $0.lowercased() }
        }
        keys += [language, base]
        let configured = settings.programs.program(program ?? settings.program)?.disclosure(locale: language)
        let text =
            configured ?? keys.lazy.compactMap { self.settings.consentTexts[$0] }.first ?? settings.consentText
        return text.replacingOccurrences(of: "{{brand}}", with: settings.brand)
    }

    static func disclosureVersion(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    // MARK: State

    /// The handoff as the widget shows it.
    package func state(of visitor: ChatService.VisitorContext) async throws -> HandoffJSON {
        let now = now()
        return try await database.read { connection in
            try Self.state(
                sessionID: visitor.session.id, contactID: visitor.session.contactID,
                conversationID: visitor.conversationID, connection: connection, now: now)
        }
    }

    static func state(
        sessionID: String, contactID: String, conversationID: String, connection: any Connection, now: Int64
    ) throws -> HandoffJSON {
        let chat = ChatRepository(connection)
        if let phone = try chat.contact(id: contactID)?.phoneE164 {
            if try SuppressionRepository(connection).isSuppressed(phone) {
                return HandoffJSON(state: "opted_out", phoneMasked: PhoneNumber.mask(e164: phone), expiresAt: nil)
            }
            if try chat.conversation(id: conversationID)?.activeChannel == .sms {
                return HandoffJSON(state: "active", phoneMasked: PhoneNumber.mask(e164: phone), expiresAt: nil)
            }
        }
        if let pending = try HandoffRepository(connection).latestVerification(sessionID: sessionID),
            pending.state == "pending", pending.expiresAt > now
        {
            return HandoffJSON(
                state: "pending_verification", phoneMasked: PhoneNumber.mask(e164: pending.phoneE164),
                expiresAt: Timestamp(unixMilliseconds: pending.expiresAt).description)
        }
        return .none
    }

    // MARK: Opt-in

    /// First opt-in: checks the number and the consent, records the request, texts a code.
    package func start(phone text: String, consent: Bool, program: String?, requester: Requester) async throws
        -> HandoffJSON
    {
        guard consent else {
            throw UseCaseError(
                .invalid, code: "consent_required", message: "Tick the box to agree to receive texts.",
                field: "consent")
        }
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber(parsing: text, defaultRegion: settings.defaultRegion)
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: "phone")
        }
        guard settings.allowedRegions.contains(phone.regionCode) else {
            throw UseCaseError(
                .invalid, code: "country_not_allowed", message: "We cannot text numbers in that country.",
                field: "phone")
        }
        let kind = phone.kind
        guard kind.receivesTexts else {
            counters.increment("handoff_unsupported_numbers_total", [("kind", kind.rawValue)])
            throw UseCaseError(
                .invalid, code: "unsupported_number",
                message: "We can only text mobile numbers; this one is not (toll-free, premium rate, landline...).",
                field: "phone")
        }
        let code = Self.newCode()
        let counters = counters
        let now = now()
        let settings = settings
        let disclosure = disclosure(program: program, locale: requester.locale)
        let verificationID = Identifiers.make("ver")
        let expiresAt = now + settings.codeLifetimeMilliseconds
        let asked = try await timeline.write { timeline -> CodeRequest in
            let connection = timeline.connection
            let handoff = HandoffRepository(connection)
            if try SuppressionRepository(connection).isSuppressed(phone.e164) {
                throw UseCaseError(
                    .conflict, code: "suppressed",
                    message: "This number asked not to get texts. Text START to \(settings.brand) to allow them again.")
            }
            var nextAllowed: Int64?
            var capsReached: [String] = []
            for cap in settings.caps.windows(
                phone: phone, sessionID: requester.session.id, ipAddress: requester.ipAddress)
            {
                guard let reached = try handoff.capReachedAt(cap.scope, since: now - cap.window, limit: cap.limit)
                else { continue }
                capsReached.append(cap.cap)
                nextAllowed = max(nextAllowed ?? 0, reached + cap.window + 1)
            }
            if let nextAllowed {
                // The real wait: until every cap reached has let its oldest counted code go.
                return .refused(capsReached, retryAfterSeconds: Int(max(1, (nextAllowed - now + 999) / 1000)))
            }
            try handoff.replacePending(sessionID: requester.session.id)
            // The text invites a YES only when a YES could confirm it (`answer(toReplyFrom:)`).
            let invitesReply =
                try handoff.pendingVerifications(phone: phone.e164, now: now).isEmpty
                && !(try Self.belongsToAnotherContact(
                    phone: phone.e164, sessionContactID: requester.session.contactID, connection: connection))
            try handoff.insert(
                VerificationRecord(
                    id: verificationID, sessionID: requester.session.id, phoneE164: phone.e164,
                    program: program ?? settings.program, codeHash: Self.hash(code, verificationID: verificationID),
                    attempts: 0, state: "pending", expiresAt: expiresAt, createdAt: now,
                    ipAddress: requester.ipAddress, region: phone.regionCode, areaCode: phone.areaCode))
            try handoff.append(
                ConsentRecord(
                    phoneE164: phone.e164, contactID: requester.session.contactID, program: program ?? settings.program,
                    event: "opt_in_requested", method: "web", sessionID: requester.session.id,
                    ipAddress: requester.ipAddress, userAgent: requester.userAgent, pageURL: requester.session.pageURL,
                    locale: requester.locale, disclosureText: disclosure,
                    disclosureVersion: Self.disclosureVersion(disclosure), createdAt: now))
            let text = SystemTexts(brand: settings.brand, locale: requester.locale).code(
                code, invitesReply: invitesReply)
            try SMSService.enqueue(
                conversationID: requester.conversationID, to: phone.e164, body: text, author: .system, priority: 0,
                timeline: timeline, now: now, recordedBody: "\(settings.brand): verification code sent.")
            let state = HandoffJSON(
                state: "pending_verification", phoneMasked: phone.masked,
                expiresAt: Timestamp(unixMilliseconds: expiresAt).description, confirmByReply: invitesReply)
            try timeline.appendEvent(conversationID: requester.conversationID, type: "handoff", state, now: now)
            return .sent(state)
        }
        switch asked {
        case .refused(let caps, let seconds):
            for cap in caps { counters.increment("handoff_code_caps_reached_total", [("cap", cap)]) }
            throw UseCaseError(
                .rateLimited(retryAfterSeconds: seconds), code: "too_many_codes",
                message: "Too many codes requested; try again later.")
        case .sent(let state):
            counters.increment("handoff_optins_total", [("step", "requested"), ("method", "web")])
            counters.increment("handoff_funnel_total", [("stage", "offered")])
            return state
        }
    }

    /// What a code request's transaction did: texted a code, or wrote nothing because caps on
    /// codes texted were reached (counted once, after the transaction, however often it ran).
    private enum CodeRequest: Sendable {
        case sent(HandoffJSON)
        case refused([String], retryAfterSeconds: Int)
    }

    /// A confirmed code: the handoff's state and the session's new token.
    package struct Verified: Sendable {
        package var state: HandoffJSON
        /// Replaces the session's cookie token, in the transaction that confirmed the code.
        package var sessionToken: String
    }

    /// Second opt-in from the widget: the code. Wrong codes count; too many burn the verification.
    /// A right code also rotates the session's token in the same transaction: the session now
    /// reaches a verified phone's history, so a cookie planted before (session fixation) opens
    /// nothing, and no commit has the one without the other.
    package func verify(code: String, requester: Requester) async throws -> Verified {
        let now = now()
        let token = Identifiers.sessionToken()
        let tokenHash = ChatService.tokenHash(token)
        let outcome = try await timeline.write { timeline -> VerifyOutcome in
            let handoff = HandoffRepository(timeline.connection)
            guard var pending = try handoff.latestVerification(sessionID: requester.session.id),
                pending.state == "pending"
            else { return .noPending }
            guard pending.expiresAt > now else { return .expired }
            let matches = ConstantTime.equals(Self.hash(code, verificationID: pending.id), pending.codeHash)
            guard matches else {
                pending.attempts += 1
                if pending.attempts >= self.settings.maxAttempts { pending.state = "burned" }
                try handoff.update(pending)
                if pending.attempts == Self.wrongCodesBeforeAgent, let routing = self.routing {
                    try routing.escalateFailedVerification(
                        conversationID: requester.conversationID, timeline: timeline, now: now)
                }
                return pending.state == "burned" ? .burned : .wrong
            }
            let confirmed = try self.confirm(
                pending, method: "web_code", requester: requester, timeline: timeline, now: now)
            try ChatRepository(timeline.connection).replaceToken(sessionID: requester.session.id, tokenHash: tokenHash)
            return .confirmed(confirmed)
        }
        switch outcome {
        case .noPending:
            throw UseCaseError(.conflict, code: "no_pending_verification", message: "Ask for a code first.")
        case .expired:
            throw UseCaseError(
                .conflict, code: "verification_expired", message: "The code has expired; ask for a new one.")
        case .burned:
            throw UseCaseError(
                .conflict, code: "verification_burned", message: "Too many wrong codes; ask for a new one.")
        case .wrong:
            throw UseCaseError(
                .invalid, code: "wrong_code", message: "That code is not right; check the text we sent.",
                field: "code")
        case .confirmed(let confirmed):
            counters.increment("handoff_optins_total", [("step", "confirmed"), ("method", "web_code")])
            counters.increment("handoff_funnel_total", [("stage", "verified")])
            HandoffOffers.measureVerification(of: confirmed.offer, at: now, counters: counters)
            return Verified(state: confirmed.state, sessionToken: token)
        }
    }

    private enum VerifyOutcome: Sendable {
        case noPending, expired, burned, wrong
        case confirmed(Confirmed)
    }

    package struct Confirmed: Sendable {
        var state: HandoffJSON
        var conversationID: String
        /// The offer the verification answered, if one was shown.
        var offer: OfferRecord?
    }

    // MARK: A YES by text

    /// What a YES from a phone does to the verifications pending for it.
    package enum ReplyAnswer: Sendable {
        /// The YES answers this verification's own text: it confirms it.
        case confirms(VerificationRecord)
        /// The YES proves nothing about these sessions: each must type its code.
        case codeRequired([VerificationRecord], reason: String)
    }

    /// A YES by text is consent to receive texts; it never proves that a web session belongs to
    /// the phone's owner. So it confirms a verification only when that cannot join a stranger's
    /// session to anyone: exactly one verification is pending for the number, its code was the
    /// last text we sent there, and no other contact has the number (a known number's session
    /// must type its code). Nil when nothing is pending.
    static func answer(
        toReplyFrom phone: String, connection: any Connection, now: Int64
    ) throws -> ReplyAnswer? {
        let handoff = HandoffRepository(connection)
        let pending = try handoff.pendingVerifications(phone: phone, now: now)
        guard let verification = pending.first else { return nil }
        guard pending.count == 1 else { return .codeRequired(pending, reason: "several_pending") }
        guard try handoff.latestVerification(phone: phone)?.id == verification.id else {
            return .codeRequired(pending, reason: "not_latest")
        }
        guard let session = try ChatRepository(connection).sessionRecord(id: verification.sessionID),
            !(try belongsToAnotherContact(phone: phone, sessionContactID: session.contactID, connection: connection)),
            !(try handoff.textedContact(session.contactID, phone: phone, after: verification.createdAt))
        else { return .codeRequired(pending, reason: "known_number") }
        return .confirms(verification)
    }

    /// Whether the number belongs to a contact other than the session's: only a code typed into
    /// the session may join it to that contact.
    static func belongsToAnotherContact(
        phone: String, sessionContactID: String, connection: any Connection
    ) throws -> Bool {
        guard let owner = try HandoffRepository(connection).contact(phone: phone) else { return false }
        return owner != sessionContactID
    }

    /// Tells each session whose verification a YES could not confirm to type its code (a
    /// `handoff` event with the notice `use_code`).
    func askForCode(_ verifications: [VerificationRecord], timeline: TimelineWriter, now: Int64) throws {
        let chat = ChatRepository(timeline.connection)
        for verification in verifications {
            guard let session = try chat.sessionRecord(id: verification.sessionID),
                let conversation = try chat.openConversation(contactID: session.contactID)
            else { continue }
            let state = HandoffJSON(
                state: "pending_verification", phoneMasked: PhoneNumber.mask(e164: verification.phoneE164),
                expiresAt: Timestamp(unixMilliseconds: verification.expiresAt).description, confirmByReply: false,
                notice: "use_code")
            try timeline.appendEvent(conversationID: conversation.id, type: "handoff", state, now: now)
        }
    }

    /// Inside a transaction: records the consent, links the session to the phone's contact,
    /// switches the conversation to SMS and queues the confirmation and the context bridge.
    func confirm(
        _ verification: VerificationRecord, method: String, requester: Requester?, timeline: TimelineWriter, now: Int64
    ) throws -> Confirmed {
        let connection = timeline.connection
        var verification = verification
        verification.state = "verified"
        let handoff = HandoffRepository(connection)
        let chat = ChatRepository(connection)
        try handoff.update(verification)
        guard let session = try chat.sessionRecord(id: verification.sessionID) else {
            throw UseCaseError(.conflict, code: "no_session", message: "The session of this verification is gone.")
        }
        // The confirmation records the disclosure the visitor accepted with the request.
        let shown = try handoff.latestRequestDisclosure(phone: verification.phoneE164) ?? disclosure()
        // The newest offer shown in the session's chat is the one this verification answers.
        let sessionConversation = try chat.openConversation(contactID: session.contactID)
        let answeredOffer = try sessionConversation.flatMap {
            try OfferRepository(connection).acceptLatest(conversationID: $0.id, now: now)
        }
        let (contactID, linkedConversation) = try handoff.link(
            sessionID: session.id, sessionContactID: session.contactID, phone: verification.phoneE164, now: now)
        // Folded into the number's own conversation, the session's is closed: agents hear of it.
        if let folded = sessionConversation?.id, folded != linkedConversation {
            try timeline.announceChange(conversationID: folded, now: now)
        }
        let conversationID: String
        if let linkedConversation {
            conversationID = linkedConversation
        } else {
            conversationID = try chat.insert(
                ConversationRecord(
                    id: Identifiers.make("conv"), contactID: contactID, state: .open, createdAt: now, updatedAt: now)
            ).id
        }
        guard var conversation = try chat.conversation(id: conversationID) else {
            throw UseCaseError(.conflict, code: "conversation_not_found", message: "No conversation to continue.")
        }
        conversation.activeChannel = .sms
        conversation.updatedAt = now
        try timeline.update(conversation)
        try handoff.append(
            ConsentRecord(
                phoneE164: verification.phoneE164, contactID: contactID, program: verification.program,
                event: "opt_in_confirmed", method: method, sessionID: session.id, ipAddress: requester?.ipAddress,
                userAgent: requester?.userAgent, pageURL: session.pageURL, locale: requester?.locale,
                disclosureText: shown, disclosureVersion: Self.disclosureVersion(shown), createdAt: now))
        let brand = settings.brand
        let confirmation = settings.confirmationTemplate.replacingOccurrences(of: "{{brand}}", with: brand)
        try SMSService.enqueue(
            conversationID: conversationID, to: verification.phoneE164, body: confirmation, author: .system,
            priority: 0, timeline: timeline, now: now)
        if let summary = try summary(conversationID: conversationID, pageURL: session.pageURL, connection: connection) {
            try SMSService.enqueue(
                conversationID: conversationID, to: verification.phoneE164, body: summary, author: .system,
                priority: 0, timeline: timeline, now: now + 1)
        }
        let state = HandoffJSON(
            state: "active", phoneMasked: PhoneNumber.mask(e164: verification.phoneE164), expiresAt: nil)
        try timeline.appendEvent(conversationID: conversationID, type: "handoff", state, now: now)
        try timeline.recordWebhook(
            "handoff.activated", HandoffWebhookJSON(conversationID: conversationID, phoneMasked: state.phoneMasked),
            now: now)
        return Confirmed(state: state, conversationID: conversationID, offer: answeredOffer)
    }

    /// The context bridge: the visitor's last open question and our last answer, trimmed so the
    /// text stays within two segments. Nil when the chat has no question yet.
    /// `{{link}}` is the page the visitor chatted on (the widget resumes there), when known.
    private func summary(conversationID: String, pageURL: String?, connection: any Connection) throws -> String? {
        let chat = ChatRepository(connection)
        guard
            let question = try chat.latestMessages(
                conversationID: conversationID, authors: [.visitor], channel: .web, limit: 1
            ).first
        else { return nil }
        let answer = try chat.latestMessages(
            conversationID: conversationID, authors: [.agent, .bot], channel: .web, afterSeq: question.seq, limit: 1
        ).first
        var questionText = question.body
        var answerText = answer?.body ?? "(not answered yet)"
        func render() -> String {
            settings.summaryTemplate.replacingOccurrences(of: "{{brand}}", with: settings.brand)
                .replacingOccurrences(of: "{{question}}", with: questionText)
                .replacingOccurrences(of: "{{answer}}", with: answerText)
                .replacingOccurrences(of: "{{link}}", with: pageURL ?? "")
        }
        while SMSSegments(body: render()).count > 2, questionText.count + answerText.count > 20 {
            if answerText.count >= questionText.count {
                // "..." rather than an ellipsis character, which would force UCS-2.
                answerText = String(answerText.prefix(answerText.count * 3 / 4)) + "..."
            } else {
                questionText = String(questionText.prefix(questionText.count * 3 / 4)) + "..."
            }
        }
        return render()
    }

    // MARK: Opt-out from the web

    /// The visitor stops texts from the widget: the number is suppressed, the ledger says so.
    package func stop(requester: Requester) async throws -> HandoffJSON {
        let now = now()
        let program = settings.program
        try await timeline.write { timeline in
            let connection = timeline.connection
            let chat = ChatRepository(connection)
            guard let phone = try chat.contact(id: requester.session.contactID)?.phoneE164 else {
                throw UseCaseError(.conflict, code: "no_handoff", message: "This chat is not continuing by text.")
            }
            try SuppressionRepository(connection).add(
                phone, reason: "web", source: requester.session.id, actor: "customer",
                requestID: RequestOrigin.requestID, now: now)
            try HandoffRepository(connection).append(
                ConsentRecord(
                    phoneE164: phone, contactID: requester.session.contactID, program: program, event: "opt_out",
                    method: "web", sessionID: requester.session.id, ipAddress: requester.ipAddress,
                    userAgent: requester.userAgent, pageURL: requester.session.pageURL, locale: requester.locale,
                    disclosureText: nil, disclosureVersion: nil, createdAt: now))
            if var conversation = try chat.conversation(id: requester.conversationID) {
                conversation.activeChannel = .web
                conversation.updatedAt = now
                try timeline.update(conversation)
            }
            let state = HandoffJSON(state: "opted_out", phoneMasked: PhoneNumber.mask(e164: phone), expiresAt: nil)
            try timeline.recordWebhook(
                "handoff.opted_out",
                HandoffWebhookJSON(conversationID: requester.conversationID, phoneMasked: state.phoneMasked), now: now)
            try timeline.appendEvent(conversationID: requester.conversationID, type: "handoff", state, now: now)
        }
        counters.increment("handoff_optouts_total", [("method", "web")])
        return HandoffJSON(state: "opted_out", phoneMasked: nil, expiresAt: nil)
    }

    // MARK: Codes

    /// `/metrics` gauges of the code caps: each configured cap, and the codes texted in the last
    /// hour (read from the database at scrape time) to set against `global_hour`.
    package func capGauges() async throws -> String {
        let since = now() - 3_600_000
        let sent = try await database.read { try HandoffRepository($0).codesSent(since: since) }
        var text = "# HELP handoff_code_cap Configured caps on codes texted, by cap (per hour; address_day per day).\n"
        text += "# TYPE handoff_code_cap gauge\n"
        for (cap, limit) in settings.caps.labelled { text += "handoff_code_cap{cap=\"\(cap)\"} \(limit)\n" }
        text += "# HELP handoff_codes_sent_last_hour Verification codes texted in the last hour, to every number.\n"
        text += "# TYPE handoff_codes_sent_last_hour gauge\nhandoff_codes_sent_last_hour \(sent)\n"
        return text
    }

    /// Six digits from the system CSPRNG.
    static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: 0..<1_000_000, using: &generator)
        let text = String(value)
        return String(repeating: "0", count: 6 - text.count) + text
    }

    static func hash(_ code: String, verificationID: String) -> [UInt8] {
        let normalized = code.filter(\.isNumber)
        return Array(SHA256.hash(data: Data((verificationID + ":" + normalized).utf8)))
    }
}

/// `handoff.activated` and `handoff.opted_out` webhooks.
package struct HandoffWebhookJSON: Codable, Sendable {
    var conversationID: String
    var phoneMasked: String?

    package enum CodingKeys: String, CodingKey {
        case conversationID = "conversation_id"
        case phoneMasked = "phone_masked"
    }
}
