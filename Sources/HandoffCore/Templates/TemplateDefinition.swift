/// A template as it is written: by the API (`POST /v1/templates`) or in a file of starter
/// templates (`config/templates/*.yaml`, loaded as drafts). Versions and approval are the
/// service's.
public struct TemplateDefinition: Sendable, Equatable, Codable {
    /// snake_case; locale variants of one template share it.
    public var name: String
    public var program: String
    public var locale: String
    public var content: TemplateContent
    /// The queue an unmatched reply goes to when nobody answers it in time.
    public var fallbackQueue: String?

    public init(name: String, program: String, locale: String = "en", content: TemplateContent, fallbackQueue: String?)
    {
        self.name = name
        self.program = program
        self.locale = locale
        self.content = content
        self.fallbackQueue = fallbackQueue
    }

    private enum CodingKeys: String, CodingKey {
        case name, program, locale, body, variables, replies, variants
        case fallbackQueue = "fallback_queue"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        program = try container.decode(String.self, forKey: .program)
        locale = try container.decodeIfPresent(String.self, forKey: .locale) ?? "en"
        content = TemplateContent(
            body: try container.decode(String.self, forKey: .body),
            variables: try container.decodeIfPresent([TemplateVariable].self, forKey: .variables) ?? [],
            replies: try container.decodeIfPresent([TemplateReply].self, forKey: .replies) ?? [],
            variants: try container.decodeIfPresent([TemplateVariant].self, forKey: .variants) ?? [])
        fallbackQueue = try container.decodeIfPresent(String.self, forKey: .fallbackQueue)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(program, forKey: .program)
        try container.encode(locale, forKey: .locale)
        try container.encode(content.body, forKey: .body)
        try container.encode(content.variables, forKey: .variables)
        try container.encode(content.replies, forKey: .replies)
        try container.encode(content.variants, forKey: .variants)
        try container.encodeIfPresent(fallbackQueue, forKey: .fallbackQueue)
    }

    /// Checks the name, the program (against `programs`) and the content (`TemplateContent.validate`).
    @discardableResult
    public func validate(programs: ProgramCatalog, brand: String, vocabulary: Keyword.Vocabulary = .init())
        throws(HandoffCoreError) -> SMSSegments
    {
        guard TemplateBody.isValidName(name) else {
            throw HandoffCoreError(
                code: "invalid_name", message: "A template name is snake_case, starting with a letter.", field: "name")
        }
        guard let program = programs.program(program) else {
            throw HandoffCoreError(
                code: "unknown_program", message: "No program \(program) is configured.", field: "program")
        }
        return try content.validate(
            TemplateRules(
                brand: brand, programKind: program.kind, vocabulary: vocabulary,
                programKeywords: Set(programs.programs.compactMap(\.keyword))))
    }
}

/// A file of starter templates: what they are for, and their locale variants.
public struct TemplateFile: Sendable, Equatable, Codable {
    /// The outcome the templates aim at, for the person choosing one.
    public var goal: String
    public var templates: [TemplateDefinition]
}
