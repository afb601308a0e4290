public import DatabaseDriver

/// A pending or finished phone verification.
public struct VerificationRecord: Sendable, Equatable {
    public var id: String
    public var sessionID: String
    public var phoneE164: String
    public var program: String
    public var codeHash: [UInt8]
    public var attempts: Int
    /// `pending`, `verified`, `burned` or `replaced`.
    public var state: String
    public var expiresAt: Int64
    public var createdAt: Int64
    /// The client address that asked for the code.
    public var ipAddress: String?
    /// The number's region (ISO 3166 alpha-2) and, for +1 numbers, its area code (`+1415`).
    public var region: String?
    public var areaCode: String?

    public init(
        id: String, sessionID: String, phoneE164: String, program: String, codeHash: [UInt8], attempts: Int,
        state: String, expiresAt: Int64, createdAt: Int64, ipAddress: String? = nil, region: String? = nil,
        areaCode: String? = nil
    ) {
        self.id = id
        self.sessionID = sessionID
        self.phoneE164 = phoneE164
        self.program = program
        self.codeHash = codeHash
        self.attempts = attempts
        self.state = state
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.ipAddress = ipAddress
        self.region = region
        self.areaCode = areaCode
    }
}

/// The codes a cap counts (`HandoffRepository.capReachedAt`).
public enum CodeScope: Sendable, Equatable {
    /// Codes to a number, whoever asked.
    case phone(String)
    /// Codes to a number asked for by a session, or from an address.
    case phoneFromRequester(phone: String, sessionID: String, ipAddress: String)
    /// Codes asked for by a session, to any number.
    case session(String)
    /// Codes asked for from a client address.
    case address(String)
    /// Codes to numbers of a region (ISO 3166 alpha-2).
    case region(String)
    /// Codes to numbers of a NANP area code (`+1415`).
    case areaCode(String)
    /// Every code.
    case all
}

/// One entry of the consent ledger.
public struct ConsentRecord: Sendable, Equatable {
    public var seq: Int64
    public var phoneE164: String
    public var contactID: String?
    public var program: String
    /// `opt_in_requested`, `opt_in_confirmed`, `opt_out` or `opt_in_again`.
    public var event: String
    public var method: String
    public var sessionID: String?
    public var ipAddress: String?
    public var userAgent: String?
    public var pageURL: String?
    public var locale: String?
    public var disclosureText: String?
    public var disclosureVersion: String?
    public var createdAt: Int64
    /// Where an opt-in recorded through the API was obtained: `web_form`, `paper`, `ivr`,
    /// `import` or `api`; `sms_keyword` for one the number started by texting a program's
    /// keyword; nil for the ledger's other events.
    public var source: String?
    /// When the opt-in recorded through the API was given (it may predate its record).
    public var capturedAt: Int64?
    /// JSON of the evidence kept with it (`ip`, `user_agent`, `page_url`, `reference`).
    public var evidence: String?
    /// The `client_id` an API record was made with, so that a retry finds it.
    public var clientKey: String?

    public init(
        seq: Int64 = 0, phoneE164: String, contactID: String?, program: String, event: String, method: String,
        sessionID: String?, ipAddress: String?, userAgent: String?, pageURL: String?, locale: String?,
        disclosureText: String?, disclosureVersion: String?, createdAt: Int64, source: String? = nil,
        capturedAt: Int64? = nil, evidence: String? = nil, clientKey: String? = nil
    ) {
        self.clientKey = clientKey
        self.source = source
        self.capturedAt = capturedAt
        self.evidence = evidence
        self.seq = seq
        self.phoneE164 = phoneE164
        self.contactID = contactID
        self.program = program
        self.event = event
        self.method = method
        self.sessionID = sessionID
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.pageURL = pageURL
        self.locale = locale
        self.disclosureText = disclosureText
        self.disclosureVersion = disclosureVersion
        self.createdAt = createdAt
    }
}

/// The SQL of the handoff: verifications, the consent ledger, and linking a session to the
/// contact of a verified phone (merging their conversations into one thread).
public struct HandoffRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    // MARK: Verifications

    public func insert(_ verification: VerificationRecord) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO verifications (id, session_id, phone_e164, program, code_hash, attempts, state, expires_at,
                created_at, ip_address, region, area_code)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(verification.id), .text(verification.sessionID), .text(verification.phoneE164),
                .text(verification.program), .blob(verification.codeHash), .int(verification.attempts),
                .text(verification.state), .integer(verification.expiresAt), .integer(verification.createdAt),
                .optionalText(verification.ipAddress), .optionalText(verification.region),
                .optionalText(verification.areaCode),
            ])
    }

    /// The session's newest verification, whatever its state.
    public func latestVerification(sessionID: String) throws(StorageError) -> VerificationRecord? {
        try connection.queryOne(
            "SELECT * FROM verifications WHERE session_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
            [.text(sessionID)]
        ).map(Self.verification)
    }

    /// A phone's pending, unexpired verifications, newest first.
    public func pendingVerifications(phone: String, now: Int64) throws(StorageError) -> [VerificationRecord] {
        try connection.query(
            """
            SELECT * FROM verifications WHERE phone_e164 = ? AND state = 'pending' AND expires_at > ?
            ORDER BY created_at DESC, id DESC
            """,
            [.text(phone), .integer(now)]
        ).map(Self.verification)
    }

    /// The newest verification of a phone, whatever its state: its code was the last one texted
    /// to that number.
    public func latestVerification(phone: String) throws(StorageError) -> VerificationRecord? {
        try connection.queryOne(
            "SELECT * FROM verifications WHERE phone_e164 = ? ORDER BY created_at DESC, id DESC LIMIT 1",
            [.text(phone)]
        ).map(Self.verification)
    }

    /// Whether a text went to `phone` in any of the contact's conversations after `since`.
    public func textedContact(_ contactID: String, phone: String, after since: Int64) throws(StorageError) -> Bool {
        try connection.queryOne(
            """
            SELECT 1 AS found FROM conversations c JOIN messages m ON m.conversation_id = c.id
            WHERE c.contact_id = ? AND m.direction = 'outbound' AND m.channel = 'sms' AND m.to_e164 = ?
                AND m.created_at > ?
            LIMIT 1
            """,
            [.text(contactID), .text(phone), .integer(since)]) != nil
    }

    /// When the `limit`-th newest code of `scope` created at or after `since` was created, or nil
    /// when there are fewer: a cap of `limit` codes per window is reached until that code leaves
    /// the window. Reads at most `limit` rows, through an index.
    public func capReachedAt(_ scope: CodeScope, since: Int64, limit: Int) throws(StorageError) -> Int64? {
        let (condition, values): (String, [DatabaseValue])
        switch scope {
        case .phone(let phone): (condition, values) = ("phone_e164 = ?", [.text(phone)])
        case .phoneFromRequester(let phone, let sessionID, let ipAddress):
            (condition, values) = (
                "phone_e164 = ? AND (session_id = ? OR ip_address = ?)",
                [.text(phone), .text(sessionID), .text(ipAddress)]
            )
        case .session(let sessionID): (condition, values) = ("session_id = ?", [.text(sessionID)])
        case .address(let ipAddress): (condition, values) = ("ip_address = ?", [.text(ipAddress)])
        case .region(let region): (condition, values) = ("region = ?", [.text(region)])
        case .areaCode(let areaCode): (condition, values) = ("area_code = ?", [.text(areaCode)])
        case .all: (condition, values) = ("TRUE", [])
        }
        return try connection.queryOne(
            """
            SELECT created_at FROM verifications WHERE \(condition) AND created_at >= ?
            ORDER BY created_at DESC LIMIT 1 OFFSET ?
            """,
            values + [.integer(since), .int(max(0, limit - 1))]
        )?.get("created_at")
    }

    /// Codes created at or after `since`, of every number.
    public func codesSent(since: Int64) throws(StorageError) -> Int {
        try connection.queryValue(
            "SELECT count(*) AS sent FROM verifications WHERE created_at >= ?", [.integer(since)], column: "sent")
    }

    public func update(_ verification: VerificationRecord) throws(StorageError) {
        try connection.execute(
            "UPDATE verifications SET attempts = ?, state = ? WHERE id = ?",
            [.int(verification.attempts), .text(verification.state), .text(verification.id)])
    }

    /// Supersedes a session's pending verifications (a new code replaces the old one).
    public func replacePending(sessionID: String) throws(StorageError) {
        try connection.execute(
            "UPDATE verifications SET state = 'replaced' WHERE session_id = ? AND state = 'pending'",
            [.text(sessionID)])
    }

    // MARK: Consent ledger

    /// Appends `consent` to the ledger; returns its place in it.
    @discardableResult
    public func append(_ consent: ConsentRecord) throws(StorageError) -> Int64 {
        try connection.insert(
            """
            INSERT INTO consents (phone_e164, contact_id, program, event, method, session_id, ip_address, user_agent,
                page_url, locale, disclosure_text, disclosure_version, created_at, source, captured_at, evidence,
                client_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(consent.phoneE164), .optionalText(consent.contactID), .text(consent.program),
                .text(consent.event), .text(consent.method), .optionalText(consent.sessionID),
                .optionalText(consent.ipAddress), .optionalText(consent.userAgent), .optionalText(consent.pageURL),
                .optionalText(consent.locale), .optionalText(consent.disclosureText),
                .optionalText(consent.disclosureVersion), .integer(consent.createdAt), .optionalText(consent.source),
                .optionalInteger(consent.capturedAt), .optionalText(consent.evidence),
                .optionalText(consent.clientKey),
            ], returningKey: "seq")
    }

    /// The ledger entry recorded with `clientKey`, if any.
    public func consent(clientKey: String) throws(StorageError) -> ConsentRecord? {
        try connection.queryOne("SELECT * FROM consents WHERE client_key = ?", [.text(clientKey)]).map(Self.consent)
    }

    /// The newest ledger entry of `phone` for `program`, which says where its consent stands.
    public func latestConsent(phone: String, program: String) throws(StorageError) -> ConsentRecord? {
        try connection.queryOne(
            "SELECT * FROM consents WHERE phone_e164 = ? AND program = ? ORDER BY seq DESC LIMIT 1",
            [.text(phone), .text(program)]
        ).map(Self.consent)
    }

    /// The disclosure shown with the newest opt-in request of a phone.
    public func latestRequestDisclosure(phone: String) throws(StorageError) -> String? {
        try connection.queryOne(
            """
            SELECT disclosure_text FROM consents WHERE phone_e164 = ? AND event = 'opt_in_requested'
            ORDER BY seq DESC LIMIT 1
            """,
            [.text(phone)]
        )?.get("disclosure_text")
    }

    /// A phone's ledger, oldest first.
    public func consents(phone: String) throws(StorageError) -> [ConsentRecord] {
        try connection.query("SELECT * FROM consents WHERE phone_e164 = ? ORDER BY seq", [.text(phone)]).map(
            Self.consent)
    }

    private static func consent(_ row: Row) throws(StorageError) -> ConsentRecord {
        try ConsentRecord(
            seq: row.get("seq"), phoneE164: row.get("phone_e164"), contactID: row.get("contact_id"),
            program: row.get("program"), event: row.get("event"), method: row.get("method"),
            sessionID: row.get("session_id"), ipAddress: row.get("ip_address"), userAgent: row.get("user_agent"),
            pageURL: row.get("page_url"), locale: row.get("locale"), disclosureText: row.get("disclosure_text"),
            disclosureVersion: row.get("disclosure_version"), createdAt: row.get("created_at"),
            source: row.get("source"), capturedAt: row.get("captured_at"), evidence: row.get("evidence"),
            clientKey: row.get("client_key"))
    }

    // MARK: Identity

    /// The contact that owns a verified phone.
    public func contact(phone: String) throws(StorageError) -> String? {
        try connection.queryOne("SELECT id FROM contacts WHERE phone_e164 = ?", [.text(phone)])?.get("id")
    }

    /// The locale of the person at `phone`: their contact's, else the one recorded with the
    /// number's latest opt-in request (a code sent to a number not yet verified); nil if neither.
    /// One statement (one round trip on PostgreSQL); the ledger is read only when the contact has none.
    public func locale(phone: String) throws(StorageError) -> String? {
        try connection.queryOne(
            """
            SELECT coalesce(
                (SELECT locale FROM contacts WHERE phone_e164 = ?1 AND locale IS NOT NULL),
                (SELECT locale FROM consents WHERE phone_e164 = ?1 AND locale IS NOT NULL ORDER BY seq DESC LIMIT 1)
            ) AS locale
            """, [.text(phone)])?.get("locale", as: String?.self) ?? nil
    }

    /// Gives the session's contact the verified phone, or, when another contact already has it,
    /// moves the session and its contact's conversations (history and events) to that contact,
    /// folding them into its open conversation. Returns the contact and its open conversation id.
    public func link(sessionID: String, sessionContactID: String, phone: String, now: Int64) throws(StorageError)
        -> (contactID: String, conversationID: String?)
    {
        guard let owner = try contact(phone: phone), owner != sessionContactID else {
            try connection.execute(
                "UPDATE contacts SET phone_e164 = ? WHERE id = ?", [.text(phone), .text(sessionContactID)])
            return (sessionContactID, try openConversation(contactID: sessionContactID))
        }
        try connection.execute(
            "UPDATE sessions SET contact_id = ? WHERE contact_id = ?", [.text(owner), .text(sessionContactID)])
        let target = try openConversation(contactID: owner)
        let sources = try connection.query(
            "SELECT id FROM conversations WHERE contact_id = ? AND state != 'closed'", [.text(sessionContactID)]
        ).map { row throws(StorageError) in try row.get("id", as: String.self) }
        if let target {
            for source in sources {
                try connection.execute(
                    "UPDATE messages SET conversation_id = ? WHERE conversation_id = ?", [.text(target), .text(source)])
                try connection.execute(
                    "UPDATE conversation_events SET conversation_id = ? WHERE conversation_id = ?",
                    [.text(target), .text(source)])
                try connection.execute(
                    "UPDATE conversations SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                    [.integer(now), .integer(now), .text(source)])
            }
            if !sources.isEmpty { try refreshLastIntent(conversationID: target) }
        }
        try connection.execute(
            "UPDATE conversations SET contact_id = ? WHERE contact_id = ?", [.text(owner), .text(sessionContactID)])
        return (owner, try openConversation(contactID: owner))
    }

    /// Makes the conversation's last intent that of its newest customer message with one (after
    /// other conversations' messages were folded into it).
    private func refreshLastIntent(conversationID: String) throws(StorageError) {
        try connection.execute(
            """
            UPDATE conversations SET (last_intent_name, last_intent_source, last_intent_confidence) = (
                SELECT intent_name, intent_source, intent_confidence FROM messages
                WHERE conversation_id = ? AND intent_name IS NOT NULL ORDER BY created_at DESC, seq DESC LIMIT 1)
            WHERE id = ?
                AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND intent_name IS NOT NULL)
            """, [.text(conversationID), .text(conversationID), .text(conversationID)])
    }

    private func openConversation(contactID: String) throws(StorageError) -> String? {
        try connection.queryOne(
            "SELECT id FROM conversations WHERE contact_id = ? AND state != 'closed' ORDER BY seq DESC LIMIT 1",
            [.text(contactID)]
        )?.get("id")
    }

    private static func verification(_ row: Row) throws(StorageError) -> VerificationRecord {
        try VerificationRecord(
            id: row.get("id"), sessionID: row.get("session_id"), phoneE164: row.get("phone_e164"),
            program: row.get("program"), codeHash: row.get("code_hash"), attempts: row.get("attempts"),
            state: row.get("state"), expiresAt: row.get("expires_at"), createdAt: row.get("created_at"),
            ipAddress: row.get("ip_address"), region: row.get("region"), areaCode: row.get("area_code"))
    }
}
