import HandoffCore
import Storage

/// A proactive text as the API shows it (API.md "Proactive texts"); once released, its state is
/// its message's delivery status.
package struct OutboundJSON: Encodable, Sendable {
    var id: String
    var toMasked: String
    var program: String
    var templateID: String
    var templateVersion: Int
    var variant: String?
    var campaign: String?
    var state: String
    var messageID: String?
    var conversationID: String
    var sendAt: String
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, program, variant, campaign, state
        case toMasked = "to_masked"
        case templateID = "template_id"
        case templateVersion = "template_version"
        case messageID = "message_id"
        case conversationID = "conversation_id"
        case sendAt = "send_at"
        case createdAt = "created_at"
    }

    init(_ record: OutboundRecord, message: MessageRecord?) {
        id = record.id
        toMasked = PhoneNumber.mask(e164: record.toE164)
        program = record.program
        templateID = record.templateID
        templateVersion = record.templateVersion
        variant = record.variant
        campaign = record.campaign
        state = Self.state(record.state, message: message)
        messageID = record.messageID
        conversationID = record.conversationID
        sendAt = Timestamp(unixMilliseconds: record.sendAt).description
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
    }

    /// `scheduled`, `canceled` and `suppressed` are the row's; a released text is `queued`,
    /// `deferred`, `sent`, `delivered`, `failed` or `suppressed` as its message is.
    static func state(_ rowState: String, message: MessageRecord?) -> String {
        guard rowState == "released" else { return rowState }
        switch message?.status {
        case "deferred": return "deferred"
        case "sent": return "sent"
        case "delivered": return "delivered"
        case "failed", "undelivered": return "failed"
        case "suppressed": return "suppressed"
        default: return "queued"
        }
    }
}

/// `{outbound}`.
package struct OutboundEnvelopeJSON: Encodable, Sendable {
    var outbound: OutboundJSON

    package init(outbound: OutboundJSON) { self.outbound = outbound }
}

/// One recipient's result in a batch: `{index, outbound}` or `{index, error}`.
package struct OutboundBatchResultJSON: Encodable, Sendable {
    var index: Int
    var outbound: OutboundJSON?
    var error: ErrorJSON?

    /// API.md's error body, for one recipient.
    package struct ErrorJSON: Encodable, Sendable {
        var code: String
        var message: String
        var field: String?

        init(_ error: UseCaseError) {
            code = error.code
            message = error.message
            field = error.field
        }
    }

    enum CodingKeys: String, CodingKey { case index, outbound, error }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(outbound, forKey: .outbound)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// `{results}`.
package struct OutboundBatchJSON: Encodable, Sendable {
    var results: [OutboundBatchResultJSON]

    package init(results: [OutboundBatchResultJSON]) { self.results = results }
}
