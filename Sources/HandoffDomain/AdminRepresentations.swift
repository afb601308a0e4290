public import Foundation
import HandoffCore
package import Storage

/// One outbox row as operators see it: its state and history, never its payload (which holds
/// message bodies and numbers).
public struct OutboxItemJSON: Encodable, Sendable {
    var id: String
    var kind: OutboxKind
    var state: OutboxState
    var attempts: Int
    var lastError: String?
    var messageID: String?
    /// For webhooks: the event type (`message.created`, ...).
    var eventType: String?
    var requestID: String?
    var nextAttemptAt: String
    var createdAt: String
    var updatedAt: String

    package enum CodingKeys: String, CodingKey {
        case id, kind, state, attempts
        case lastError = "last_error"
        case messageID = "message_id"
        case eventType = "event_type"
        case requestID = "request_id"
        case nextAttemptAt = "next_attempt_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    package init(_ item: OutboxItem) {
        id = item.id.description
        kind = item.kind
        state = item.state
        attempts = item.attempts
        lastError = item.lastError
        messageID = item.messageID
        eventType =
            item.kind == .webhook
            ? (try? JSONDecoder().decode(EventType.self, from: Data(item.payload.utf8)))?.type : nil
        requestID = item.requestID
        nextAttemptAt = Timestamp(unixMilliseconds: item.nextAttemptAt).description
        createdAt = Timestamp(unixMilliseconds: item.createdAt).description
        updatedAt = Timestamp(unixMilliseconds: item.updatedAt).description
    }

    private struct EventType: Decodable {
        var type: String
    }
}

/// `GET /v1/admin/outbox`.
public struct OutboxPageJSON: Encodable, Sendable {
    var items: [OutboxItemJSON]
    var nextAfter: String?

    package enum CodingKeys: String, CodingKey {
        case items
        case nextAfter = "next_after"
    }
}

/// A suppressed number (or its hash, once its data was erased).
public struct SuppressionJSON: Encodable, Sendable {
    var phone: String
    var reason: String
    var source: String?
    var createdAt: String

    package enum CodingKeys: String, CodingKey {
        case phone, reason, source
        case createdAt = "created_at"
    }

    package init(_ record: SuppressionRecord) {
        phone = record.phoneE164
        reason = record.reason
        source = record.source
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
    }
}

/// `GET /v1/admin/suppressions`.
public struct SuppressionPageJSON: Encodable, Sendable {
    var suppressions: [SuppressionJSON]
    var nextAfter: String?

    package enum CodingKeys: String, CodingKey {
        case suppressions
        case nextAfter = "next_after"
    }
}

/// One audit entry: who added or removed a suppression, when and why.
public struct SuppressionChangeJSON: Encodable, Sendable {
    var action: String
    var reason: String
    var actor: String
    var requestID: String?
    var createdAt: String

    package enum CodingKeys: String, CodingKey {
        case action, reason, actor
        case requestID = "request_id"
        case createdAt = "created_at"
    }

    package init(_ change: SuppressionChange) {
        action = change.action
        reason = change.reason
        actor = change.actor
        requestID = change.requestID
        createdAt = Timestamp(unixMilliseconds: change.createdAt).description
    }
}

/// `GET /v1/admin/suppressions/{phone}`: the suppression, if any, and its whole audit.
public struct SuppressionDetailJSON: Encodable, Sendable {
    var phone: String
    var suppression: SuppressionJSON?
    var history: [SuppressionChangeJSON]

    /// Whether the number is suppressed now.
    public var isSuppressed: Bool { suppression != nil }
}

/// `handoff consents export`: `{phone, consents}`, oldest first.
public struct ConsentExportJSON: Encodable, Sendable {
    var phone: String
    var consents: [ConsentJSON]
}

extension Administration {
    /// Pretty, key-sorted JSON for the command line.
    public static func prettyJSON(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
