public import DatabaseDriver

/// A number that must not be texted.
public struct SuppressionRecord: Sendable, Equatable {
    /// E.164, or `sha256:<hex>` once the number's personal data was erased.
    public var phoneE164: String
    /// `stop_keyword`, `carrier_opt_out`, `web`, `wrong_number`, `operator`, ...
    public var reason: String
    public var source: String?
    public var createdAt: Int64
}

/// One entry of the suppression audit: who added or removed a suppression, when and why.
public struct SuppressionChange: Sendable, Equatable {
    public var seq: Int64
    public var phoneE164: String
    /// `added` or `removed`.
    public var action: String
    public var reason: String
    /// `customer`, `gateway`, `operator`, `cli`.
    public var actor: String
    public var requestID: String?
    public var createdAt: Int64
}

/// The SQL of suppressions and their append-only audit: every add and remove, whoever caused it,
/// is recorded in the same transaction as the change.
public struct SuppressionRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Whether `phone` must not be texted (also after its data was erased: the suppression then
    /// survives in hashed form).
    public func isSuppressed(_ phone: String) throws(StorageError) -> Bool {
        try connection.queryOne(
            "SELECT 1 AS hit FROM suppressions WHERE phone_e164 IN (?, ?)",
            [.text(phone), .text(PersonalDataRepository.hashedPhone(phone))]) != nil
    }

    /// Which of `phones` must not be texted, as `isSuppressed` tells of each, read in one statement.
    public func suppressed(among phones: [String]) throws(StorageError) -> Set<String> {
        let pairs = Set(phones).map { (phone: $0, hashed: PersonalDataRepository.hashedPhone($0)) }
        guard let list = ValueList(pairs.flatMap { [.text($0.phone), .text($0.hashed)] }) else { return [] }
        var found: Set<String> = []
        for row in try connection.query(
            "SELECT phone_e164 FROM suppressions WHERE phone_e164 IN (\(list.placeholders))", list.values)
        {
            found.insert(try row.get("phone_e164"))
        }
        return Set(pairs.filter { found.contains($0.phone) || found.contains($0.hashed) }.map(\.phone))
    }

    /// Suppresses `phone`; keeps the first reason when it already is. True when newly suppressed.
    /// The audit records `reason: source` (the MessageSid of a STOP, an operator's words).
    @discardableResult
    public func add(
        _ phone: String, reason: String, source: String?, actor: String, requestID: String?, now: Int64
    ) throws(StorageError) -> Bool {
        let added =
            try connection.execute(
                """
                INSERT INTO suppressions (phone_e164, reason, source, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """,
                [.text(phone), .text(reason), .optionalText(source), .integer(now)]) == 1
        if added {
            try audit(
                phone, action: "added", reason: source.map { "\(reason): \($0)" } ?? reason, actor: actor,
                requestID: requestID, now: now)
        }
        return added
    }

    /// Lifts a suppression (an explicit opt-in again, or an operator's decision). True when one was lifted.
    @discardableResult
    public func remove(
        _ phone: String, reason: String, actor: String, requestID: String?, now: Int64
    ) throws(StorageError) -> Bool {
        let removed = try connection.execute("DELETE FROM suppressions WHERE phone_e164 = ?", [.text(phone)]) == 1
        if removed { try audit(phone, action: "removed", reason: reason, actor: actor, requestID: requestID, now: now) }
        return removed
    }

    public func suppression(_ phone: String) throws(StorageError) -> SuppressionRecord? {
        try connection.queryOne("SELECT * FROM suppressions WHERE phone_e164 = ?", [.text(phone)]).map(Self.record)
    }

    /// Suppressions, newest first, after the `(createdAt, phone)` cursor.
    public func list(after cursor: (createdAt: Int64, phone: String)?, limit: Int) throws(StorageError)
        -> [SuppressionRecord]
    {
        guard let cursor else {
            return try connection.query(
                "SELECT * FROM suppressions ORDER BY created_at DESC, phone_e164 DESC LIMIT ?", [.int(limit)]
            ).map(Self.record)
        }
        return try connection.query(
            """
            SELECT * FROM suppressions WHERE (created_at, phone_e164) < (?, ?)
            ORDER BY created_at DESC, phone_e164 DESC LIMIT ?
            """,
            [.integer(cursor.createdAt), .text(cursor.phone), .int(limit)]
        ).map(Self.record)
    }

    /// The audit of one number, oldest first.
    public func history(_ phone: String) throws(StorageError) -> [SuppressionChange] {
        try connection.query(
            "SELECT * FROM suppression_changes WHERE phone_e164 = ? ORDER BY seq", [.text(phone)]
        ).map { row throws(StorageError) in
            try SuppressionChange(
                seq: row.get("seq"), phoneE164: row.get("phone_e164"), action: row.get("action"),
                reason: row.get("reason"), actor: row.get("actor"), requestID: row.get("request_id"),
                createdAt: row.get("created_at"))
        }
    }

    /// Replaces the number with its hash in the suppression and its audit (data erasure).
    func pseudonymize(_ phone: String) throws(StorageError) {
        let hashed = PersonalDataRepository.hashedPhone(phone)
        try connection.execute(
            "UPDATE suppressions SET phone_e164 = ?, source = NULL WHERE phone_e164 = ?", [.text(hashed), .text(phone)])
        try connection.execute(
            "UPDATE suppression_changes SET phone_e164 = ? WHERE phone_e164 = ?", [.text(hashed), .text(phone)])
    }

    private func audit(
        _ phone: String, action: String, reason: String, actor: String, requestID: String?, now: Int64
    ) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO suppression_changes (phone_e164, action, reason, actor, request_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .text(phone), .text(action), .text(reason), .text(actor), .optionalText(requestID),
                .integer(now),
            ]
        )
    }

    private static func record(_ row: Row) throws(StorageError) -> SuppressionRecord {
        try SuppressionRecord(
            phoneE164: row.get("phone_e164"), reason: row.get("reason"), source: row.get("source"),
            createdAt: row.get("created_at"))
    }
}
