import Foundation

// The JSON bodies clients send, in one place: each is decoded by `JSONBody.decode`, whose errors
// (400 not JSON, 422 naming the field) are the API's. Foundation only, so the JSON fuzz target
// compiles them as they are.

/// Details a widget may send when it starts a session.
struct SessionDetails: Decodable, Sendable {
    var locale: String?
    var timezone: String?
    var pageURL: String?
    var displayName: String?

    enum CodingKeys: String, CodingKey {
        case locale, timezone
        case pageURL = "page_url"
        case displayName = "display_name"
    }
}

/// `{body, client_id?}` from the widget.
struct NewMessage: Decodable, Sendable {
    var body: String
    var clientID: String?

    enum CodingKeys: String, CodingKey {
        case body
        case clientID = "client_id"
    }
}

/// `{phone, consent, program?}`: consent must be literally `true`.
struct HandoffRequest: Decodable, Sendable {
    var phone: String
    var consent: Bool
    var program: String?
}

/// `{code}`.
struct VerifyRequest: Decodable, Sendable {
    var code: String
}

/// `{body, author, client_id?}`.
struct AgentReply: Decodable, Sendable {
    var body: String
    var author: String
    var clientID: String?

    enum CodingKeys: String, CodingKey {
        case body, author
        case clientID = "client_id"
    }
}

/// `{queue?, reason?}`.
struct EscalationRequest: Decodable, Sendable {
    var queue: String?
    var reason: String?
}

/// `{reason?}`.
struct ReasonRequest: Decodable, Sendable {
    var reason: String?
}

/// `{phone, reason}`.
struct NewSuppression: Decodable, Sendable {
    var phone: String
    var reason: String?
}

struct SimulatedReply: Decodable, Sendable {
    var body: String
}

/// `{reason, question_id?}`: the widget offers the handoff by itself.
struct WidgetOfferRequest: Decodable, Sendable {
    var reason: String
    var questionID: String?

    enum CodingKeys: String, CodingKey {
        case reason
        case questionID = "question_id"
    }
}
