/// A reason to text someone, with its own opt-in: appointment reminders, order updates, offers.
public struct Program: Sendable, Equatable, Codable {
    /// snake_case, unique; `chat` is the built-in conversational program.
    public var id: String
    public var name: String
    public var kind: ProgramKind
    /// A word that, texted to our number, starts this program's double opt-in (uppercase).
    public var keyword: String?
    /// Proactive texts per number per local day at most; nil: no cap.
    public var dailyCap: Int?
    /// The disclosure per locale (`en`, `es`, `es-MX`), `{{brand}}` filled in when shown.
    public var disclosures: [String: String]
    /// How often texts come, in the words of the disclosure ("Msg frequency varies").
    public var frequency: String?

    public init(
        id: String, name: String, kind: ProgramKind, keyword: String? = nil, dailyCap: Int? = nil,
        disclosures: [String: String] = [:], frequency: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.keyword = keyword
        self.dailyCap = dailyCap
        self.disclosures = disclosures
        self.frequency = frequency
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, kind, keyword, disclosures, frequency
        case dailyCap = "daily_cap"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? id
        kind = try container.decode(ProgramKind.self, forKey: .kind)
        keyword = try container.decodeIfPresent(String.self, forKey: .keyword)?.uppercased()
        dailyCap = try container.decodeIfPresent(Int.self, forKey: .dailyCap)
        disclosures = try container.decodeIfPresent([String: String].self, forKey: .disclosures) ?? [:]
        frequency = try container.decodeIfPresent(String.self, forKey: .frequency)
    }

    /// The disclosure for `locale` (exact tag, then its language, then `en`, then any), if any.
    public func disclosure(locale: String?) -> String? {
        let tags = disclosures.keys.sorted()
        guard let fallback = disclosures["en"] != nil ? "en" : tags.first else { return nil }
        return disclosures[TemplateLocale.best(for: locale, among: tags, fallback: fallback)]
    }
}

/// The programs of this deployment: the built-in `chat` and the configured ones, checked once.
public struct ProgramCatalog: Sendable, Equatable {
    /// The id of the built-in conversational program the widget's handoff uses by default.
    public static let chat = "chat"
    /// Most proactive texts per number per day a program may allow.
    public static let maxDailyCap = 100

    /// Every program, `chat` first, then the configured ones in the order given.
    public let programs: [Program]

    /// The catalog of `configured` programs; throws `invalid_program` (field `programs[i].…`) for
    /// a bad id, a duplicate id or keyword, a keyword that is a compliance word (STOP, HELP…), a
    /// daily cap out of range, a disclosure with a placeholder other than `{{brand}}`, or a
    /// marketing or transactional program whose disclosures do not say how to stop. A `chat`
    /// entry renames the built-in program and gives its disclosures; it stays conversational.
    public init(_ configured: [Program], vocabulary: Keyword.Vocabulary = .init()) throws(HandoffCoreError) {
        var chat = Self().programs[0]
        var others: [Program] = []
        var keywords = Set<String>()
        for (index, var program) in configured.enumerated() {
            program.keyword = program.keyword?.uppercased()
            try Self.check(program, at: index, vocabulary: vocabulary)
            if let keyword = program.keyword, !keywords.insert(keyword).inserted {
                throw Self.problem("keyword \(keyword) belongs to two programs", "programs[\(index)].keyword")
            }
            if program.id == Self.chat {
                guard program.kind == .conversational, chat.disclosures.isEmpty else {
                    throw Self.problem("chat is the built-in conversational program, listed once", "programs[\(index)]")
                }
                chat = program
            } else {
                guard !others.contains(where: { $0.id == program.id }) else {
                    throw Self.problem("program \(program.id) is listed twice", "programs[\(index)].id")
                }
                others.append(program)
            }
        }
        programs = [chat] + others
    }

    /// Only the built-in `chat`.
    public init() { programs = [Program(id: Self.chat, name: "Chat", kind: .conversational)] }

    /// The program `id`, if there is one.
    public func program(_ id: String) -> Program? { programs.first { $0.id == id } }

    /// The program whose keyword `body` is (the whole message, as compliance keywords are read).
    public func program(keyword body: String) -> Program? {
        let word = TemplateContent.normalizedAnswer(body)
        return programs.first { $0.keyword == word }
    }

    /// Throws `invalid_program` for a keyword that `vocabulary` (the configured extra compliance
    /// words, set apart from the programs) makes an opt-out, opt-in or help word: those always win.
    public func checkKeywords(against vocabulary: Keyword.Vocabulary) throws(HandoffCoreError) {
        for program in programs {
            guard let keyword = program.keyword, Self.isComplianceWord(keyword, vocabulary: vocabulary) else {
                continue
            }
            throw Self.problem(
                "\(keyword) is a compliance keyword (STOP, START, HELP… or a configured one)",
                "programs.\(program.id).keyword")
        }
    }

    /// Whether `keyword` is an opt-out, opt-in or help word in English, in any shipped language
    /// (a program's texts may reach a contact of any) or in `vocabulary`.
    private static func isComplianceWord(_ keyword: String, vocabulary: Keyword.Vocabulary) -> Bool {
        ([nil] + Keyword.byLanguage.keys.sorted()).contains { language in
            Keyword(classifying: keyword, vocabulary: vocabulary, locale: language) != nil
        }
    }

    private static func check(_ program: Program, at index: Int, vocabulary: Keyword.Vocabulary)
        throws(HandoffCoreError)
    {
        let field = "programs[\(index)]"
        guard TemplateBody.isValidName(program.id) else {
            throw problem("a program id is snake_case, starting with a letter", field + ".id")
        }
        guard !program.name.isEmpty, program.name.count <= 100 else {
            throw problem("a program's name is 1 to 100 characters", field + ".name")
        }
        if let keyword = program.keyword {
            guard !keyword.isEmpty, keyword.count <= 20,
                keyword.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { throw problem("a keyword is one word of letters and digits", field + ".keyword") }
            guard !Self.isComplianceWord(keyword, vocabulary: vocabulary) else {
                throw problem("\(keyword) is a compliance keyword (STOP, START, HELP…)", field + ".keyword")
            }
        }
        if let cap = program.dailyCap, !(1...maxDailyCap).contains(cap) {
            throw problem("daily_cap is from 1 to \(maxDailyCap)", field + ".daily_cap")
        }
        for (locale, text) in program.disclosures.sorted(by: { $0.key < $1.key }) {
            let disclosureField = "\(field).disclosures.\(locale)"
            let body = try TemplateBody(parsing: text, field: disclosureField)
            guard body.placeholders.allSatisfy({ $0 == TemplateContent.brandVariable }) else {
                throw problem("a disclosure may use {{brand}} only", disclosureField)
            }
            if program.kind != .conversational, !TemplateContent.mentionsOptOut(text) {
                throw problem("a disclosure must say how to stop (\"Reply STOP to cancel\")", disclosureField)
            }
        }
        if program.kind != .conversational, program.disclosures.isEmpty {
            throw problem("a \(program.kind.rawValue) program needs a disclosure", field + ".disclosures")
        }
    }

    private static func problem(_ message: String, _ field: String) -> HandoffCoreError {
        HandoffCoreError(code: "invalid_program", message: message, field: field)
    }
}
