import Foundation
import HandoffCore
package import Storage

/// A message as the API shows it (API.md).
package struct MessageJSON: Codable, Sendable, Equatable {
    var id: String
    var conversationID: String
    var direction: Direction
    var channel: Channel
    var author: Author
    var body: String
    var status: String
    var segments: Int?
    /// MMS media URLs (references; never fetched by us).
    var media: [String]?
    /// The named agent who wrote it (absent otherwise).
    var agent: AgentRefJSON?
    /// A customer's message: its intent, or null when it matched none (`.some(nil)`). Absent from
    /// everyone else's messages (`nil`).
    var intent: IntentJSON??
    var createdAt: String

    package enum CodingKeys: String, CodingKey {
        case id, direction, channel, author, body, status, segments, media, agent, intent
        case conversationID = "conversation_id"
        case createdAt = "created_at"
    }

    package init(_ record: MessageRecord) {
        id = record.id
        conversationID = record.conversationID
        direction = record.direction
        channel = record.channel
        author = record.author
        body = record.body
        status = record.status
        segments = record.segments
        media = record.media.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        agent = record.agentID.map { AgentRefJSON(id: $0, name: record.agentName ?? "") }
        intent = record.author == .visitor ? .some(record.intent.map(IntentJSON.init)) : nil
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
    }
}

/// The data of the `message.created` and `message.updated` webhooks: the message as its
/// representation has it, plus the contact's `external_id` and the conversation's `campaign` (each
/// present when known), so a CRM can attach the message to its own record.
struct MessageWebhookJSON: Encodable {
    var message: MessageJSON
    var externalID: String?
    var campaign: String?

    private enum CodingKeys: String, CodingKey {
        case externalID = "external_id"
        case campaign
    }

    func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(externalID, forKey: .externalID)
        try container.encodeIfPresent(campaign, forKey: .campaign)
    }
}

/// `{name, source, confidence?}`: a message's intent, and a conversation's last one.
package struct IntentJSON: Codable, Sendable, Equatable {
    var name: String
    /// `keyword`, `rules`, `classifier` or `template_answer`.
    var source: String
    var confidence: Double?

    init(_ intent: MessageIntent) {
        name = intent.name
        source = intent.source.rawValue
        confidence = intent.confidence
    }
}

/// `{id, name}`: a named agent where a message or a conversation names it.
package struct AgentRefJSON: Codable, Sendable, Equatable {
    var id: String
    var name: String
}

/// The handoff part of a session or conversation: `none` until the handoff issue's flow runs.
package struct HandoffJSON: Codable, Sendable, Equatable {
    var state: String
    var phoneMasked: String?
    var expiresAt: String?
    /// While pending: whether a YES to the code text can confirm it (otherwise only the code can).
    var confirmByReply: Bool? = nil
    /// `use_code`: a YES came from the phone but could not confirm this session; type the code.
    var notice: String? = nil

    package enum CodingKeys: String, CodingKey {
        case state
        case phoneMasked = "phone_masked"
        case expiresAt = "expires_at"
        case confirmByReply = "confirm_by_reply"
        case notice
    }

    static let none = HandoffJSON(state: "none", phoneMasked: nil, expiresAt: nil)
}

/// `POST /v1/sessions` and `GET /v1/session`.
package struct SessionJSON: Codable, Sendable {
    var sessionID: String
    var conversationID: String
    var handoff: HandoffJSON
    /// The consent disclosure the widget shows next to its checkbox (recorded as shown).
    var consentText: String?

    package init(sessionID: String, conversationID: String, handoff: HandoffJSON, consentText: String? = nil) {
        self.sessionID = sessionID
        self.conversationID = conversationID
        self.handoff = handoff
        self.consentText = consentText
    }

    package enum CodingKeys: String, CodingKey {
        case handoff
        case sessionID = "session_id"
        case conversationID = "conversation_id"
        case consentText = "consent_text"
    }
}

/// A conversation for bots and agents.
package struct ConversationJSON: Codable, Sendable {
    var id: String
    var state: ConversationState
    var queue: String?
    var escalationReason: String?
    var activeChannel: Channel
    var contact: ContactJSON?
    var handoff: HandoffJSON
    var createdAt: String
    var updatedAt: String
    var closedAt: String?
    /// The named agent who owns it (null when nobody does).
    var assignedAgent: AgentRefJSON?
    /// When a human must first answer (null when nobody is waiting for one).
    var firstResponseDueAt: String?
    var slaBreachedAt: String?
    var resolution: String?
    /// Where it came from (kept from its start).
    var campaign: String?
    var pageURL: String?
    var utmSource: String?
    var utmMedium: String?
    var utmCampaign: String?
    /// The intent of the customer's newest message that had one (null before any did).
    var lastIntent: IntentJSON?
    /// The newest message and since when the customer waits for an answer: in the API's lists
    /// and reads (what the console's list shows), not in events and webhooks.
    var lastMessage: MessageJSON?
    var waitingSince: String?
    /// Its first proactive text's program, template and A/B variant (`GET /v1/conversations/{id}`
    /// only; absent for a conversation without one).
    package var proactive: ProactiveOriginJSON?

    package enum CodingKeys: String, CodingKey {
        case id, state, queue, contact, handoff, resolution, campaign, proactive
        case lastIntent = "last_intent"
        case lastMessage = "last_message"
        case waitingSince = "waiting_since"
        case pageURL = "page_url"
        case utmSource = "utm_source"
        case utmMedium = "utm_medium"
        case utmCampaign = "utm_campaign"
        case escalationReason = "escalation_reason"
        case activeChannel = "active_channel"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case closedAt = "closed_at"
        case assignedAgent = "assigned_agent"
        case firstResponseDueAt = "first_response_due_at"
        case slaBreachedAt = "sla_breached_at"
    }

    /// As synthesized, but `assigned_agent`, `first_response_due_at` and `last_intent` are always
    /// present (null when unset), as API.md names them.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(queue, forKey: .queue)
        try container.encodeIfPresent(escalationReason, forKey: .escalationReason)
        try container.encode(activeChannel, forKey: .activeChannel)
        try container.encodeIfPresent(contact, forKey: .contact)
        try container.encode(handoff, forKey: .handoff)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(closedAt, forKey: .closedAt)
        try container.encode(assignedAgent, forKey: .assignedAgent)
        try container.encode(firstResponseDueAt, forKey: .firstResponseDueAt)
        try container.encodeIfPresent(slaBreachedAt, forKey: .slaBreachedAt)
        try container.encodeIfPresent(resolution, forKey: .resolution)
        try container.encodeIfPresent(campaign, forKey: .campaign)
        try container.encodeIfPresent(pageURL, forKey: .pageURL)
        try container.encodeIfPresent(utmSource, forKey: .utmSource)
        try container.encodeIfPresent(utmMedium, forKey: .utmMedium)
        try container.encodeIfPresent(utmCampaign, forKey: .utmCampaign)
        try container.encode(lastIntent, forKey: .lastIntent)
        try container.encodeIfPresent(lastMessage, forKey: .lastMessage)
        try container.encodeIfPresent(waitingSince, forKey: .waitingSince)
        try container.encodeIfPresent(proactive, forKey: .proactive)
    }

    /// With its newest message and the customer's wait (`ChatRepository.activity`).
    func with(_ activity: ConversationActivity?) -> ConversationJSON {
        var json = self
        json.lastMessage = activity?.lastMessage.map(MessageJSON.init)
        json.waitingSince = activity?.awaitingReplySince.map { Timestamp(unixMilliseconds: $0).description }
        return json
    }

    package init(_ record: ConversationRecord, contact: ContactRecord?, handoff: HandoffJSON = .none) {
        id = record.id
        state = record.state
        queue = record.queue
        escalationReason = record.escalationReason
        activeChannel = record.activeChannel
        self.contact = contact.map { ContactJSON($0) }
        self.handoff = handoff
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
        updatedAt = Timestamp(unixMilliseconds: record.updatedAt).description
        closedAt = record.closedAt.map { Timestamp(unixMilliseconds: $0).description }
        assignedAgent = record.assignedAgentID.map { AgentRefJSON(id: $0, name: record.assignedAgentName ?? "") }
        firstResponseDueAt = record.firstResponseDueAt.map { Timestamp(unixMilliseconds: $0).description }
        slaBreachedAt = record.slaBreachedAt.map { Timestamp(unixMilliseconds: $0).description }
        resolution = record.resolution
        campaign = record.attribution.campaign
        pageURL = record.attribution.pageURL
        utmSource = record.attribution.utmSource
        utmMedium = record.attribution.utmMedium
        utmCampaign = record.attribution.utmCampaign
        lastIntent = record.lastIntent.map(IntentJSON.init)
    }
}

/// Where a conversation that began with (or joined) a proactive text came from: that text's
/// program, template and the A/B variant its contact was assigned.
package struct ProactiveOriginJSON: Codable, Sendable {
    var outboundID: String
    var program: String
    var templateID: String
    var variant: String?

    enum CodingKeys: String, CodingKey {
        case program, variant
        case outboundID = "outbound_id"
        case templateID = "template_id"
    }

    package init(_ outbound: OutboundRecord) {
        outboundID = outbound.id
        program = outbound.program
        templateID = outbound.templateID
        variant = outbound.variant
    }
}

/// The person behind a conversation, phone masked. The contacts API adds the state of their
/// consents, and the unmasked phone for admin keys.
package struct ContactJSON: Codable, Sendable {
    var id: String
    /// The business's id for the person (verified identity).
    var externalID: String?
    var displayName: String?
    var phoneMasked: String?
    /// The number in E.164, for admin keys only.
    var phone: String?
    var locale: String?
    var timeZone: String?
    var consents: [ContactConsentJSON]?

    package enum CodingKeys: String, CodingKey {
        case id, locale, phone, consents
        case externalID = "external_id"
        case displayName = "display_name"
        case phoneMasked = "phone_masked"
        case timeZone = "timezone"
    }

    package init(_ record: ContactRecord, consents: [ContactConsentJSON]? = nil, phone: String? = nil) {
        id = record.id
        externalID = record.externalID
        displayName = record.displayName
        phoneMasked = record.phoneE164.map { PhoneNumber.mask(e164: $0) }
        self.phone = phone
        locale = record.locale
        timeZone = record.timeZone
        self.consents = consents
    }
}

/// Where a contact's number stands with one program (the newest ledger entry decides).
package struct ContactConsentJSON: Codable, Sendable {
    var program: String
    /// `pending`, `active` or `revoked`.
    var state: String
    var updatedAt: String

    package enum CodingKeys: String, CodingKey {
        case program, state
        case updatedAt = "updated_at"
    }
}

/// `{contact}`.
package struct ContactEnvelopeJSON: Encodable, Sendable {
    var contact: ContactJSON
}

/// `{messages, next_after}`.
package struct MessagePageJSON: Codable, Sendable {
    var messages: [MessageJSON]
    var nextAfter: String?

    package enum CodingKeys: String, CodingKey {
        case messages
        case nextAfter = "next_after"
    }
}

/// `{conversations, next_after}`.
package struct ConversationPageJSON: Codable, Sendable {
    var conversations: [ConversationJSON]
    var nextAfter: String?

    package enum CodingKeys: String, CodingKey {
        case conversations
        case nextAfter = "next_after"
    }
}

/// `{message}`.
package struct MessageEnvelopeJSON: Codable, Sendable {
    var message: MessageJSON

    package init(message: MessageJSON) {
        self.message = message
    }

}

/// `{conversation}`.
package struct ConversationEnvelopeJSON: Codable, Sendable {
    var conversation: ConversationJSON

    package init(conversation: ConversationJSON) {
        self.conversation = conversation
    }

}

/// `{consents}`: a phone's ledger, oldest first.
package struct ConsentLedgerJSON: Codable, Sendable {
    var consents: [ConsentJSON]

    package init(consents: [ConsentJSON]) {
        self.consents = consents
    }
}

/// One ledger entry, as proof: what was shown, accepted or revoked, when, how and from where.
package struct ConsentJSON: Codable, Sendable {
    /// The entry's place in the ledger, as an opaque id.
    var id: String
    var phone: String
    var program: String
    var event: String
    var method: String
    var sessionID: String?
    var ipAddress: String?
    var userAgent: String?
    var pageURL: String?
    var locale: String?
    var disclosureText: String?
    var disclosureVersion: String?
    var createdAt: String
    /// What the entry makes of the program's consent: `pending` (awaiting the number's YES),
    /// `active` or `revoked`.
    var state: String
    var source: String?
    var capturedAt: String?
    var evidence: ConsentEvidenceJSON?

    package enum CodingKeys: String, CodingKey {
        case id, phone, program, event, method, locale, state, source, evidence
        case capturedAt = "captured_at"
        case sessionID = "session_id"
        case ipAddress = "ip_address"
        case userAgent = "user_agent"
        case pageURL = "page_url"
        case disclosureText = "disclosure_text"
        case disclosureVersion = "disclosure_version"
        case createdAt = "created_at"
    }

    package init(_ record: ConsentRecord) {
        id = "cns_\(record.seq)"
        phone = record.phoneE164
        program = record.program
        event = record.event
        method = record.method
        sessionID = record.sessionID
        ipAddress = record.ipAddress
        userAgent = record.userAgent
        pageURL = record.pageURL
        locale = record.locale
        disclosureText = record.disclosureText
        disclosureVersion = record.disclosureVersion
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
        state = ConsentState(ledgerEvent: record.event).rawValue
        source = record.source
        capturedAt = record.capturedAt.map { Timestamp(unixMilliseconds: $0).description }
        evidence = record.evidence.flatMap { try? JSONDecoder().decode(ConsentEvidenceJSON.self, from: Data($0.utf8)) }
    }
}

/// `{consent}`.
package struct ConsentEnvelopeJSON: Encodable, Sendable {
    var consent: ConsentJSON

    package init(consent: ConsentJSON) { self.consent = consent }
}

/// The proof kept with an opt-in obtained elsewhere.
package struct ConsentEvidenceJSON: Codable, Sendable, Equatable {
    var ip: String?
    var userAgent: String?
    var pageURL: String?
    var reference: String?

    package enum CodingKeys: String, CodingKey {
        case ip, reference
        case userAgent = "user_agent"
        case pageURL = "page_url"
    }
}

/// Where a number's consent to one program stands, by the newest ledger entry for it.
package enum ConsentState: String, Sendable {
    case pending, active, revoked

    init(ledgerEvent: String) {
        switch ledgerEvent {
        case "opt_in_requested": self = .pending
        case "opt_out": self = .revoked
        default: self = .active
        }
    }
}

/// A handoff offer ("Can we text you the answer?"), in answers and as the `handoff_offer` event.
package struct OfferJSON: Codable, Sendable, Equatable {
    var id: String
    var conversationID: String
    var reason: String
    var state: String
    var questionID: String?
    var createdAt: String

    package enum CodingKeys: String, CodingKey {
        case id, reason, state
        case conversationID = "conversation_id"
        case questionID = "question_id"
        case createdAt = "created_at"
    }

    package init(_ record: OfferRecord) {
        id = record.id
        conversationID = record.conversationID
        reason = record.reason
        state = record.state
        questionID = record.questionMessageID
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
    }
}

/// `{offer}`.
package struct OfferEnvelopeJSON: Encodable, Sendable {
    var offer: OfferJSON

    package init(offer: OfferJSON) {
        self.offer = offer
    }

}
