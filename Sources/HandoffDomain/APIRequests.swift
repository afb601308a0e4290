import Foundation

// The JSON bodies clients send, in one place: each is decoded by `JSONBody.decode`, whose errors
// (400 not JSON, 422 naming the field) are the API's, and its free-text fields are checked against
// `FieldLimits` there. Foundation only, so the JSON fuzz target compiles them as they are.

/// Longest accepted values, in Unicode scalars, of the free-text fields clients send. Message
/// bodies are limited by `max_message_chars`, idempotency keys by `ChatService.maxClientKeyLength`.
package enum FieldLimits {
    static let pageURL = 2048
    /// BCP 47 tags fit in 35 characters.
    static let locale = 35
    static let timezone = 64
    static let displayName = 100
    static let phone = 64
    static let code = 32
    static let program = 64
    static let queue = 64
    static let reason = 500
    static let campaign = 128
    /// A hex SHA-256 HMAC has 64 digits.
    static let identityHash = 64
    /// Request headers recorded in the consent ledger are cut to these lengths, not refused.
    package static let userAgent = 512
    package static let acceptLanguage = 128
}

/// A field of a decoded body that is too long or malformed: a 422 naming it.
package struct FieldProblem: Error, Sendable {
    package let field: String
    package let code: String
    package let message: String

    /// `too_long` when `value` has more than `limit` Unicode scalars; `invalid_characters` when it
    /// holds a NUL, which no text is meant to carry and PostgreSQL's text cannot store (so that a
    /// value is refused alike on both backends, never stored on one and a 500 on the other).
    static func text(_ value: String?, _ field: String, _ limit: Int) -> FieldProblem? {
        guard let value else { return nil }
        if value.unicodeScalars.count > limit {
            return FieldProblem(
                field: field, code: "too_long", message: "\(field) must be at most \(limit) characters.")
        }
        if value.utf8.contains(0) {
            return FieldProblem(field: field, code: "invalid_characters", message: "\(field) must not contain NUL.")
        }
        return nil
    }
}

/// A body with fields to check after decoding; `JSONBody.decode` refuses it with the first problem.
package protocol LimitedFields {
    var problems: [FieldProblem?] { get }
}

/// Details a widget may send when it starts a session.
package struct SessionDetails: Decodable, Sendable {
    var locale: String?
    var timezone: String?
    var pageURL: String?
    var displayName: String?
    /// The program the widget offers texts for (`data-program`): its disclosure is the one shown.
    package var program: String?
    /// The site's id for the visitor (`data-external-id`), proved by `identityHash` (see
    /// `IdentityVerifier`).
    package var externalID: String?
    package var identityHash: String?
    /// The campaign that brought the visitor (`data-campaign`), kept on the conversation it starts.
    var campaign: String?

    package enum CodingKeys: String, CodingKey {
        case locale, timezone, program, campaign
        case pageURL = "page_url"
        case displayName = "display_name"
        case externalID = "external_id"
        case identityHash = "identity_hash"
    }
}

extension SessionDetails: LimitedFields {
    package var problems: [FieldProblem?] {
        [
            .text(locale, "locale", FieldLimits.locale), .text(timezone, "timezone", FieldLimits.timezone),
            .text(displayName, "display_name", FieldLimits.displayName),
            .text(program, "program", FieldLimits.program),
            .text(pageURL, "page_url", FieldLimits.pageURL) ?? pageURL.flatMap(Self.urlProblem),
            .text(identityHash, "identity_hash", FieldLimits.identityHash),
            .text(campaign, "campaign", FieldLimits.campaign),
        ]
    }

    /// The page the widget is on: an absolute http(s) URL with a host, without spaces or controls.
    private static func urlProblem(_ url: String) -> FieldProblem? {
        let lower = url.lowercased()
        let rest = lower.hasPrefix("https://") ? url.dropFirst(8) : lower.hasPrefix("http://") ? url.dropFirst(7) : nil
        let host = rest?.prefix { $0 != "/" && $0 != "?" && $0 != "#" }.split(separator: "@").last ?? ""
        guard !host.isEmpty, host.first != ":",
            !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
        else {
            return FieldProblem(
                field: "page_url", code: "invalid_url", message: "page_url must be an absolute http or https URL.")
        }
        return nil
    }
}

/// `{body, client_id?}` from the widget.
package struct NewMessage: Decodable, Sendable {
    package var body: String
    package var clientID: String?

    package enum CodingKeys: String, CodingKey {
        case body
        case clientID = "client_id"
    }
}

/// `{phone, consent, program?}`: consent must be literally `true`.
package struct HandoffRequest: Decodable, Sendable, LimitedFields {
    package var phone: String
    package var consent: Bool
    package var program: String?

    package var problems: [FieldProblem?] {
        [.text(phone, "phone", FieldLimits.phone), .text(program, "program", FieldLimits.program)]
    }
}

/// `{code}`.
package struct VerifyRequest: Decodable, Sendable, LimitedFields {
    package var code: String

    package var problems: [FieldProblem?] { [.text(code, "code", FieldLimits.code)] }
}

/// `{body, author, client_id?}` (`author` may be left out with an agent key: it is `agent`).
package struct AgentReply: Decodable, Sendable {
    package var body: String
    package var author: String?
    package var clientID: String?

    package enum CodingKeys: String, CodingKey {
        case body, author
        case clientID = "client_id"
    }
}

/// `{body}`: a text to measure before it is sent (`POST /v1/sms/preview`).
package struct TextPreviewRequest: Decodable, Sendable {
    package var body: String
}

/// `{queue?, reason?}`.
package struct EscalationRequest: Decodable, Sendable, LimitedFields {
    package var queue: String?
    package var reason: String?

    package var problems: [FieldProblem?] {
        [.text(queue, "queue", FieldLimits.queue), .text(reason, "reason", FieldLimits.reason)]
    }
}

/// `{reason?}`.
package struct ReasonRequest: Decodable, Sendable, LimitedFields {
    package var reason: String?

    package var problems: [FieldProblem?] { [.text(reason, "reason", FieldLimits.reason)] }
}

/// `{phone, reason}`.
package struct NewSuppression: Decodable, Sendable, LimitedFields {
    package var phone: String
    package var reason: String?

    package var problems: [FieldProblem?] {
        [.text(phone, "phone", FieldLimits.phone), .text(reason, "reason", FieldLimits.reason)]
    }
}

package struct SimulatedReply: Decodable, Sendable {
    package var body: String
}

/// `{reason, question_id?}`: the widget offers the handoff by itself.
package struct WidgetOfferRequest: Decodable, Sendable {
    package var reason: String
    package var questionID: String?

    package enum CodingKeys: String, CodingKey {
        case reason
        case questionID = "question_id"
    }
}

/// `{name, queues?, role?}`: a named agent for the admin API (role `agent` unless said).
package struct NewAgent: Decodable, Sendable {
    package var name: String
    package var queues: [String]?
    package var role: String?
}

/// `{agent_id?, force?}`: whom to assign a conversation to (an agent key alone: itself).
package struct AssignRequest: Decodable, Sendable {
    package var agentID: String?
    package var force: Bool?

    package enum CodingKeys: String, CodingKey {
        case force
        case agentID = "agent_id"
    }
}

/// `{queue}` or `{agent_id}`: where a conversation goes.
package struct TransferRequest: Decodable, Sendable, LimitedFields {
    package var queue: String?
    package var agentID: String?

    package enum CodingKeys: String, CodingKey {
        case queue
        case agentID = "agent_id"
    }

    package var problems: [FieldProblem?] { [.text(queue, "queue", FieldLimits.queue)] }
}

/// `{resolution?}`: how a closed conversation ended.
package struct CloseRequest: Decodable, Sendable {
    package var resolution: String?
}
