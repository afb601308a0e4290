/// Why a program texts someone: what its consent covers and which rules its texts follow.
public enum ProgramKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// Texts inside a conversation the person started (the widget's handoff).
    case conversational
    /// Texts the person expects from a transaction: confirmations, reminders, order updates.
    case transactional
    /// Promotions: double opt-in by text, opt-out wording, the stricter state rules.
    case marketing
}

/// An expected answer to a template's text and what it means.
public struct TemplateReply: Sendable, Equatable, Codable {
    /// The whole messages that count as this answer ("C", "CONFIRM"), compared as keywords are.
    public var answers: [String]
    /// What the answer means, snake_case (`confirmed`, `reschedule`).
    public var outcome: String
    /// Sent back when the answer arrives, if set.
    public var replyBody: String?

    public init(answers: [String], outcome: String, replyBody: String? = nil) {
        self.answers = answers
        self.outcome = outcome
        self.replyBody = replyBody
    }

    private enum CodingKeys: String, CodingKey {
        case answers, outcome
        case replyBody = "reply_body"
    }
}

/// One arm of a template's A/B test: its own body, chosen for a share of contacts by weight.
public struct TemplateVariant: Sendable, Equatable, Codable {
    public var id: String
    public var body: String
    public var weight: Int

    public init(id: String, body: String, weight: Int) {
        self.id = id
        self.body = body
        self.weight = weight
    }
}

/// The rules a template is checked against when it is saved.
public struct TemplateRules: Sendable {
    /// The business's name, what `{{brand}}` becomes.
    public var brand: String
    public var programKind: ProgramKind
    /// Most segments a text may take, counted with typical values in the placeholders.
    public var maxSegments: Int
    /// The configured extra compliance keywords: answers may not be any of them either.
    public var vocabulary: Keyword.Vocabulary
    /// The programs' keywords (uppercase): texting one starts that program's opt-in, so it is
    /// never an answer.
    public var programKeywords: Set<String>

    public init(
        brand: String, programKind: ProgramKind, maxSegments: Int = 3, vocabulary: Keyword.Vocabulary = .init(),
        programKeywords: Set<String> = []
    ) {
        self.brand = brand
        self.programKind = programKind
        self.maxSegments = maxSegments
        self.vocabulary = vocabulary
        self.programKeywords = programKeywords
    }
}

/// What a template says and how replies to it act: the part that is validated on every save and
/// rendered on every send. Storage, versions and approval live with the service.
public struct TemplateContent: Sendable, Equatable {
    public var body: String
    public var variables: [TemplateVariable]
    public var replies: [TemplateReply]
    public var variants: [TemplateVariant]

    /// The variable every template knows: the business's name.
    public static let brandVariable = "brand"
    /// Hours after a text in which a reply can still match one of its answers.
    public static let replyWindowHours = 72

    public init(
        body: String, variables: [TemplateVariable] = [], replies: [TemplateReply] = [],
        variants: [TemplateVariant] = []
    ) {
        self.body = body
        self.variables = variables
        self.replies = replies
        self.variants = variants
    }

    /// Checks everything a save must refuse (each a `HandoffCoreError` whose `field` names the
    /// place): malformed or undeclared placeholders, bad or duplicate variable names, a required
    /// variable the body never uses, an answer that is an opt-out or help keyword (those always
    /// win) or a program's keyword, duplicate answers, a body over the segment cap, marketing without opt-out wording,
    /// malformed variants. Returns how the body measures with typical values.
    @discardableResult
    public func validate(_ rules: TemplateRules) throws(HandoffCoreError) -> SMSSegments {
        try validateVariables()
        let bodies = [(body, "body")] + variants.enumerated().map { ($1.body, "variants[\($0)].body") }
        var measured: SMSSegments?
        for (text, field) in bodies {
            let segments = try validateBody(text, field: field, rules: rules)
            if measured == nil { measured = segments }
        }
        try validateVariants()
        try validateReplies(rules)
        return measured ?? SMSSegments(body: body)
    }

    private func validateVariables() throws(HandoffCoreError) {
        var names = Set<String>()
        for (index, variable) in variables.enumerated() {
            let field = "variables[\(index)].name"
            guard TemplateBody.isValidName(variable.name) else {
                throw HandoffCoreError(
                    code: "invalid_variable_name", message: "Variable names are snake_case, starting with a letter.",
                    field: field)
            }
            guard variable.name != Self.brandVariable else {
                throw HandoffCoreError(
                    code: "reserved_variable", message: "{{brand}} is always known and cannot be declared.",
                    field: field)
            }
            guard names.insert(variable.name).inserted else {
                throw HandoffCoreError(
                    code: "duplicate_variable", message: "\(variable.name) is declared twice.", field: field)
            }
        }
    }

    private func validateBody(_ text: String, field: String, rules: TemplateRules) throws(HandoffCoreError)
        -> SMSSegments
    {
        guard !text.allSatisfy(\.isWhitespace) else {
            throw HandoffCoreError(code: "empty_body", message: "The text is empty.", field: field)
        }
        let parsed = try TemplateBody(parsing: text, field: field)
        let declared = Dictionary(variables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let used = Set(parsed.placeholders)
        for name in parsed.placeholders where name != Self.brandVariable && declared[name] == nil {
            throw HandoffCoreError(
                code: "undeclared_placeholder", message: "{{\(name)}} is used but not declared in variables.",
                field: field)
        }
        for variable in variables where variable.required && !used.contains(variable.name) {
            throw HandoffCoreError(
                code: "unused_variable", message: "\(variable.name) is required but the text never uses it.",
                field: field)
        }
        if rules.programKind == .marketing, !Self.mentionsOptOut(text) {
            throw HandoffCoreError(
                code: "missing_opt_out",
                message: "A marketing text must say how to stop, for example \"Reply STOP to opt out\".", field: field)
        }
        let sample = parsed.rendered { name in
            name == Self.brandVariable ? rules.brand : declared[name].map { Self.typicalValue($0.type) } ?? ""
        }
        let segments = SMSSegments(body: SMSSmartEncoding.apply(sample))
        guard segments.count <= rules.maxSegments else {
            throw HandoffCoreError(
                code: "too_many_segments",
                message:
                    "With typical values the text takes \(segments.count) segments; the cap is \(rules.maxSegments).",
                field: field)
        }
        return segments
    }

    private func validateVariants() throws(HandoffCoreError) {
        guard !variants.isEmpty else { return }
        guard variants.count >= 2 else {
            throw HandoffCoreError(
                code: "invalid_variants", message: "An A/B test needs at least two variants.", field: "variants")
        }
        var ids = Set<String>()
        for (index, variant) in variants.enumerated() {
            guard TemplateBody.isValidName(variant.id), ids.insert(variant.id).inserted else {
                throw HandoffCoreError(
                    code: "invalid_variants", message: "Variant ids are distinct snake_case names.",
                    field: "variants[\(index)].id")
            }
            guard (1...10_000).contains(variant.weight) else {
                throw HandoffCoreError(
                    code: "invalid_variants", message: "A variant's weight is a whole number from 1 to 10000.",
                    field: "variants[\(index)].weight")
            }
        }
    }

    private func validateReplies(_ rules: TemplateRules) throws(HandoffCoreError) {
        var answers = Set<String>()
        for (index, reply) in replies.enumerated() {
            guard TemplateBody.isValidName(reply.outcome) else {
                throw HandoffCoreError(
                    code: "invalid_outcome", message: "An outcome is a snake_case name such as confirmed.",
                    field: "replies[\(index)].outcome")
            }
            guard !reply.answers.isEmpty else {
                throw HandoffCoreError(
                    code: "invalid_answer", message: "A reply lists at least one answer.",
                    field: "replies[\(index)].answers")
            }
            for answer in reply.answers {
                let field = "replies[\(index)].answers"
                let normalized = Self.normalizedAnswer(answer)
                guard !normalized.isEmpty, normalized.count <= 40 else {
                    throw HandoffCoreError(
                        code: "invalid_answer", message: "An answer is a short message of 1 to 40 characters.",
                        field: field)
                }
                // Reserved in every shipped language: the template may go to a contact of any.
                let languages: [String?] = [nil] + Keyword.byLanguage.keys.sorted()
                if languages.contains(where: { language in
                    Keyword(classifying: answer, vocabulary: rules.vocabulary, locale: language).map { $0 != .optIn }
                        ?? false
                }) {
                    throw HandoffCoreError(
                        code: "reserved_answer",
                        message:
                            "\(normalized) is an opt-out or help keyword, which always wins; use an answer such as \"C\" or \"CANCEL APPT\".",
                        field: field)
                }
                guard !rules.programKeywords.contains(normalized) else {
                    throw HandoffCoreError(
                        code: "reserved_answer",
                        message:
                            "\(normalized) is a program's keyword, which starts that program's opt-in; use another answer.",
                        field: field)
                }
                guard answers.insert(normalized).inserted else {
                    throw HandoffCoreError(
                        code: "duplicate_answer", message: "\(normalized) is listed twice.", field: field)
                }
            }
            if let replyBody = reply.replyBody {
                let parsed = try TemplateBody(parsing: replyBody, field: "replies[\(index)].reply_body")
                if let name = parsed.placeholders.first(where: { $0 != Self.brandVariable }) {
                    throw HandoffCoreError(
                        code: "undeclared_placeholder",
                        message: "A reply body may use {{brand}} only, not {{\(name)}}.",
                        field: "replies[\(index)].reply_body")
                }
            }
        }
    }

    /// The text for `values`, in `locale`'s formats, from `variant`'s body (the template's own when
    /// nil). Throws `missing_variable` for a required variable without a value and
    /// `invalid_variable` for a value of the wrong type or a name the template does not declare.
    /// An optional variable without a value is written as nothing.
    public func render(
        _ values: [String: String], locale: String, brand: String, variant: TemplateVariant? = nil
    ) throws(HandoffCoreError) -> String {
        var formatted: [String: String] = [Self.brandVariable: brand]
        for name in values.keys.sorted() where !variables.contains(where: { $0.name == name }) {
            throw HandoffCoreError(
                code: "invalid_variable", message: "\(name) is not a variable of this template.",
                field: "variables.\(name)")
        }
        for variable in variables {
            guard let value = values[variable.name], !value.isEmpty else {
                guard !variable.required else {
                    throw HandoffCoreError(
                        code: "missing_variable", message: "\(variable.name) is required.",
                        field: "variables.\(variable.name)")
                }
                continue
            }
            formatted[variable.name] = try variable.formatted(value, locale: locale)
        }
        let parsed = try TemplateBody(parsing: variant?.body ?? body)
        return parsed.rendered { formatted[$0] ?? "" }
    }

    /// The reply whose answers include `message` (whole message, case- and space-insensitive,
    /// trailing punctuation ignored), if any.
    public func reply(matching message: String) -> TemplateReply? {
        let normalized = Self.normalizedAnswer(message)
        guard !normalized.isEmpty else { return nil }
        return replies.first { $0.answers.contains { Self.normalizedAnswer($0) == normalized } }
    }

    /// `text` uppercased, runs of spaces made one, trimmed, without trailing punctuation.
    /// Every inbound text goes through it inside the write transaction (program keywords, WRONG),
    /// so ASCII text, nearly all of it, takes a byte loop with the same result as the `Character`
    /// rules (`normalizedAnswerOfAnyText`), which break graphemes and look up Unicode properties.
    public static func normalizedAnswer(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count)
            var pendingSpace = false
            for byte in bytes {
                if byte == 0x20 || (0x09...0x0D).contains(byte) {
                    pendingSpace = !result.isEmpty
                    continue
                }
                if pendingSpace { result.append(0x20) }
                pendingSpace = false
                result.append((0x61...0x7A).contains(byte) ? byte - 0x20 : byte)
            }
            while let last = result.last, asciiPunctuation.contains(last) || last == 0x20 { result.removeLast() }
            return String(decoding: result, as: UTF8.self)
        } ?? normalizedAnswerOfAnyText(text)
    }

    /// `normalizedAnswer` by `Character` rules, for text that is not all ASCII.
    static func normalizedAnswerOfAnyText(_ text: String) -> String {
        var words = text.uppercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while let last = words.last, last.isPunctuation || last.isWhitespace { words.removeLast() }
        return words
    }

    /// The ASCII characters of Unicode's punctuation categories (`Character.isPunctuation`).
    private static let asciiPunctuation: Set<UInt8> = Set("!\"#%&'()*,-./:;?@[\\]_{}".utf8)

    /// Whether `text` tells the reader how to opt out (the word STOP, any case).
    static func mentionsOptOut(_ text: String) -> Bool {
        text.uppercased().split { !$0.isLetter }.contains("STOP")
    }

    /// A value of typical length for `type`, to measure a body before real values exist.
    static func typicalValue(_ type: TemplateVariable.Kind) -> String {
        switch type {
        case .text: "Alexandra Johnson"
        case .date: "Wednesday, September 30"
        case .time: "10:30 AM"
        case .money: "$1,234.56"
        case .url: "https://example.com/a/Xy12Ab"
        }
    }
}

/// Picks a contact's variant of an A/B test: by weight, and always the same one for the same
/// contact and template (FNV-1a of both, so no state is needed and every node agrees).
public enum TemplateVariantChooser {
    public static func variant(of variants: [TemplateVariant], templateID: String, contactKey: String)
        -> TemplateVariant?
    {
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in templateID.utf8 + [0] + contactKey.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var point = Int(hash % UInt64(total))
        for variant in variants where variant.weight > 0 {
            if point < variant.weight { return variant }
            point -= variant.weight
        }
        return nil
    }
}
