package import DatabaseDriver
import Foundation
import HandoffCore
import Storage

/// Outcomes (API.md "Identity, attribution, outcomes, reports"): what a conversation led to, as
/// the business reports it (a booking, a payment, a sale with its value), idempotent by client key
/// and announced as the business event `outcome.recorded` with the conversation it belongs to.
package struct OutcomeService: Sendable {
    let database: any Database
    let timeline: Timeline
    let now: @Sendable () -> Int64

    package init(
        database: any Database, events: EventHub, webhooks: EventWebhooks,
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.now = now
    }

    /// Records `request` in the conversation; returns the outcome and whether it was created now
    /// (false: an earlier request with the same client key recorded it, and that one is returned).
    /// 404 `conversation_not_found`; 422 naming the field for a value that is not acceptable.
    package func record(
        conversationID: String, _ request: OutcomeRequest, clientKey: String?
    ) async throws -> (outcome: OutcomeJSON, created: Bool) {
        try request.check(clientKey: clientKey)
        let now = now()
        let outcome = OutcomeRecord(
            id: Identifiers.make("oc"), conversationID: conversationID, type: request.type,
            valueCents: request.valueCents, currency: request.currency, externalRef: request.externalRef,
            clientKey: clientKey, createdAt: now)
        let (record, created) = try await timeline.write { timeline -> (OutcomeRecord, Bool) in
            let connection = timeline.connection
            let outcomes = OutcomeRepository(connection)
            if let clientKey, let earlier = try outcomes.outcome(conversationID: conversationID, clientKey: clientKey) {
                return (earlier, false)
            }
            let chat = ChatRepository(connection)
            guard let conversation = try chat.conversation(id: conversationID) else {
                throw UseCaseError(.notFound, code: "conversation_not_found", message: "No such conversation.")
            }
            guard try outcomes.insert(outcome) else {
                throw UseCaseError(.conflict, code: "duplicate", message: "This client_id was used at the same time.")
            }
            try timeline.recordWebhook(
                "outcome.recorded",
                OutcomeEventJSON(
                    outcome: OutcomeJSON(outcome),
                    conversation: ConversationJSON(conversation, contact: try chat.contact(id: conversation.contactID))),
                now: now)
            return (outcome, true)
        }
        return (OutcomeJSON(record), created)
    }
}

/// `POST /v1/conversations/{id}/outcomes`.
package struct OutcomeRequest: Decodable, Sendable {
    var type: String
    var valueCents: Int64?
    var currency: String?
    var externalRef: String?
    package var clientID: String?

    enum CodingKeys: String, CodingKey {
        case type, currency
        case valueCents = "value_cents"
        case externalRef = "external_ref"
        case clientID = "client_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        do {
            valueCents = try container.decodeIfPresent(Int64.self, forKey: .valueCents)
        } catch {
            // A fraction or a number beyond Int64 (Foundation's decoder reports these as the whole
            // document being invalid): the field is wrong, not the JSON (422, not 400).
            throw DecodingError.typeMismatch(
                Int64.self,
                DecodingError.Context(
                    codingPath: container.codingPath + [CodingKeys.valueCents],
                    debugDescription: "value_cents is a whole number of cents."))
        }
        currency = try container.decodeIfPresent(String.self, forKey: .currency)
        externalRef = try container.decodeIfPresent(String.self, forKey: .externalRef)
        clientID = try container.decodeIfPresent(String.self, forKey: .clientID)
    }

    /// Longest external reference.
    static let maxExternalRefLength = 255

    /// 422 naming the field: a type that is not snake_case, a negative value, a currency that is
    /// not three capital letters (or comes without a value), a reference or client key too long.
    func check(clientKey: String?) throws(UseCaseError) {
        guard TemplateBody.isValidName(type) else {
            throw Self.invalid(
                "type", "type is snake_case (a-z, 0-9, _), starting with a letter, at most 64 characters.")
        }
        if let valueCents, valueCents < 0 {
            throw Self.invalid("value_cents", "value_cents is a whole number of cents, not negative.")
        }
        if let currency {
            guard currency.count == 3, currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
                throw Self.invalid("currency", "currency is an ISO 4217 code such as USD.")
            }
            guard valueCents != nil else { throw Self.invalid("currency", "currency comes with value_cents.") }
        }
        if let externalRef, externalRef.isEmpty || externalRef.utf8.count > Self.maxExternalRefLength {
            throw Self.invalid("external_ref", "external_ref is 1 to \(Self.maxExternalRefLength) bytes.")
        }
        if let clientKey, clientKey.isEmpty || clientKey.utf8.count > ChatService.maxClientKeyLength {
            throw Self.invalid(
                "client_id", "client_id (or Idempotency-Key) must be 1 to \(ChatService.maxClientKeyLength) bytes.")
        }
    }

    private static func invalid(_ field: String, _ message: String) -> UseCaseError {
        UseCaseError(.invalid, code: "invalid_field", message: message, field: field)
    }
}

/// An outcome as the API shows it.
package struct OutcomeJSON: Codable, Sendable {
    var id: String
    var conversationID: String
    var type: String
    var valueCents: Int64?
    var currency: String?
    var externalRef: String?
    var clientID: String?
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, type, currency
        case conversationID = "conversation_id"
        case valueCents = "value_cents"
        case externalRef = "external_ref"
        case clientID = "client_id"
        case createdAt = "created_at"
    }

    init(_ record: OutcomeRecord) {
        id = record.id
        conversationID = record.conversationID
        type = record.type
        valueCents = record.valueCents
        currency = record.currency
        externalRef = record.externalRef
        clientID = record.clientKey
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
    }
}

/// `{outcome}`.
package struct OutcomeEnvelopeJSON: Encodable, Sendable {
    var outcome: OutcomeJSON

    package init(outcome: OutcomeJSON) { self.outcome = outcome }
}

/// The data of `outcome.recorded`: the outcome and its conversation (with the contact's
/// external id and the campaign, for a CRM to attach it to its record).
struct OutcomeEventJSON: Encodable {
    var outcome: OutcomeJSON
    var conversation: ConversationJSON
}
