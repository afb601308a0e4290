public import DatabaseDriver

/// What a conversation led to (a booking, a payment, a sale and its value), as a business reported it.
public struct OutcomeRecord: Sendable, Equatable {
    public var id: String
    public var conversationID: String
    /// snake_case, the business's own vocabulary (`booked`, `paid`, ...).
    public var type: String
    public var valueCents: Int64?
    /// ISO 4217.
    public var currency: String?
    /// The business's reference (an order or booking number).
    public var externalRef: String?
    /// The `client_id` or `Idempotency-Key` it was recorded with.
    public var clientKey: String?
    public var createdAt: Int64

    public init(
        id: String, conversationID: String, type: String, valueCents: Int64?, currency: String?, externalRef: String?,
        clientKey: String?, createdAt: Int64
    ) {
        self.id = id
        self.conversationID = conversationID
        self.type = type
        self.valueCents = valueCents
        self.currency = currency
        self.externalRef = externalRef
        self.clientKey = clientKey
        self.createdAt = createdAt
    }
}

/// The SQL of outcomes; call it inside `Database.write` or `Database.read`.
public struct OutcomeRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Records an outcome; false when its conversation already has one with the same client key.
    public func insert(_ outcome: OutcomeRecord) throws(StorageError) -> Bool {
        try connection.execute(
            """
            INSERT INTO outcomes (id, conversation_id, type, value_cents, currency, external_ref, client_key, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [
                .text(outcome.id), .text(outcome.conversationID), .text(outcome.type),
                .optionalInteger(outcome.valueCents), .optionalText(outcome.currency),
                .optionalText(outcome.externalRef), .optionalText(outcome.clientKey), .integer(outcome.createdAt),
            ]) == 1
    }

    /// The outcome recorded in `conversationID` with `clientKey`.
    public func outcome(conversationID: String, clientKey: String) throws(StorageError) -> OutcomeRecord? {
        try connection.queryOne(
            "SELECT * FROM outcomes WHERE conversation_id = ? AND client_key = ?",
            [.text(conversationID), .text(clientKey)]
        ).map(Self.outcome)
    }

    private static func outcome(_ row: Row) throws(StorageError) -> OutcomeRecord {
        try OutcomeRecord(
            id: row.get("id"), conversationID: row.get("conversation_id"), type: row.get("type"),
            valueCents: row.get("value_cents"), currency: row.get("currency"), externalRef: row.get("external_ref"),
            clientKey: row.get("client_key"), createdAt: row.get("created_at"))
    }
}
