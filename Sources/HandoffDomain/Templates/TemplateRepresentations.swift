import HandoffCore
import Storage

/// A template as the API shows it (API.md "Templates"): its current version, its state, and how
/// the body measures with typical values.
package struct TemplateJSON: Encodable, Sendable {
    package var id: String
    var name: String
    var program: String
    var locale: String
    var version: Int
    /// The version that serves, when one was approved (it may be older than `version`).
    var approvedVersion: Int?
    var state: String
    var body: String
    var variables: [TemplateVariable]
    var replies: [TemplateReply]
    var fallbackQueue: String?
    var variants: [TemplateVariant]
    var segments: Int
    var encoding: String
    var approvedBy: String?
    var approvedAt: String?
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, program, locale, version, state, body, variables, replies, variants, segments, encoding
        case approvedVersion = "approved_version"
        case fallbackQueue = "fallback_queue"
        case approvedBy = "approved_by"
        case approvedAt = "approved_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ record: TemplateRecord, content: TemplateContent, segments: SMSSegments) {
        id = record.id
        name = record.name
        program = record.program
        locale = record.locale
        version = record.currentVersion
        approvedVersion = record.approvedVersion
        state =
            record.archivedAt != nil
            ? "archived" : record.approvedVersion == record.currentVersion ? "approved" : "draft"
        body = content.body
        variables = content.variables
        replies = content.replies
        fallbackQueue = record.version.fallbackQueue
        variants = content.variants
        self.segments = segments.count
        encoding = segments.encoding == .gsm7 ? "GSM-7" : "UCS-2"
        approvedBy = record.version.approvedBy
        approvedAt = record.version.approvedAt.map { Timestamp(unixMilliseconds: $0).description }
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
        updatedAt = Timestamp(unixMilliseconds: record.updatedAt).description
    }
}

/// `{template}`.
package struct TemplateEnvelopeJSON: Encodable, Sendable {
    package var template: TemplateJSON

    package init(template: TemplateJSON) { self.template = template }
}

/// `{templates, next_after}`.
package struct TemplatePageJSON: Encodable, Sendable {
    var templates: [TemplateJSON]
    var nextAfter: String?

    enum CodingKeys: String, CodingKey {
        case templates
        case nextAfter = "next_after"
    }
}

/// `{body, encoding, segments, characters}`: the text as it would be sent (a template's, or an
/// agent's reply with `max_segments`, the most a text may take).
package struct TextPreviewJSON: Encodable, Sendable {
    var body: String
    var encoding: String
    var segments: Int
    var characters: Int
    var maxSegments: Int?

    enum CodingKeys: String, CodingKey {
        case body, encoding, segments, characters
        case maxSegments = "max_segments"
    }

    /// Measures `sent`, the text as it leaves (smart encoding already applied).
    init(sent: String, maxSegments: Int? = nil) {
        let segments = SMSSegments(body: sent)
        body = sent
        encoding = segments.encoding == .gsm7 ? "GSM-7" : "UCS-2"
        self.segments = segments.count
        characters = sent.count
        self.maxSegments = maxSegments
    }
}
