/// What a customer's message is about, and what routing does about it: a snake_case name, phrases
/// per language (matched on whole words in lowercased text) and an action. Not a language model:
/// predictable, testable, configurable (`IntentCatalog`).
public struct Intent: Sendable, Equatable {
    public var name: String
    /// Phrases by language subtag (`en`, `es`); a message matches when it contains one as whole words.
    public var phrases: [String: [String]]
    public var action: IntentAction

    public init(name: String, phrases: [String: [String]], action: IntentAction = .none) {
        self.name = name
        self.phrases = phrases
        self.action = action
    }

    /// The intent whose built-in flow asks a texter once to confirm a wrong number.
    public static let wrongNumber = "wrong_number"

    /// Lowercased words: runs of letters, digits and apostrophes (’ read as ').
    public static func normalizedWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isWordScalar: Bool
            if scalar.isASCII {
                let value = scalar.value
                isWordScalar =
                    (0x61...0x7A).contains(value) || (0x41...0x5A).contains(value) || (0x30...0x39).contains(value)
                    || scalar == "'"
            } else {
                isWordScalar =
                    scalar == "’" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                    || scalar.properties.generalCategory == .nonspacingMark
            }
            if isWordScalar {
                if scalar == "’" {
                    current.append("'")
                } else if scalar.isASCII, (0x41...0x5A).contains(scalar.value) {
                    current.append(Unicode.Scalar(scalar.value + 0x20)!)
                } else if scalar.isASCII {
                    current.append(scalar)
                } else {
                    current.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}

/// What routing does with a message whose intent this is.
public enum IntentAction: Sendable, Equatable, CustomStringConvertible {
    /// Nothing beyond storing the intent (the repeated- and unanswered-question rules still apply).
    case none
    /// The bot answers with the approved template of that name, in the contact's locale.
    case template(String)
    /// The conversation goes to that queue, its first response due within the queue's SLA; the
    /// bot may still answer.
    case queue(String)
    /// A human takes over in that queue (bot paused), as any escalation.
    case escalate(String)

    /// The queue the action names, if any.
    public var queue: String? {
        switch self {
        case .queue(let name), .escalate(let name): name
        case .none, .template: nil
        }
    }

    /// `none`, `queue`, `template` or `escalate` (metrics label).
    public var kind: String {
        switch self {
        case .none: "none"
        case .template: "template"
        case .queue: "queue"
        case .escalate: "escalate"
        }
    }

    /// As configured: `none`, `{queue: sales}`...
    public var description: String {
        switch self {
        case .none: "none"
        case .template(let name): "{template: \(name)}"
        case .queue(let name): "{queue: \(name)}"
        case .escalate(let name): "{escalate: \(name)}"
        }
    }
}

/// The intents messages are classified into, in priority order (a message's intent is the first
/// that matches): the shipped defaults with `intents:` merged over them by name.
public struct IntentCatalog: Sendable, Equatable {
    /// The languages phrases may be given in (those the service writes its own texts in).
    public static let languages: Set<String> = ["en", "es"]
    /// Whose phrases classify every contact's texts, whatever their locale (as English keywords do).
    public static let baseLanguage = "en"
    /// Names of the compliance keywords' intents (`Keyword`): not phrase intents.
    public static let keywordNames: Set<String> = ["opt_out", "opt_in", "help"]

    /// What needs a person comes first, then the narrower topics.
    public static let shipped: [Intent] = [
        Intent(
            name: "human_request",
            phrases: [
                "en": [
                    "agent", "human", "real person", "representative", "talk to someone", "speak to someone",
                    "speak to a person", "talk to a person", "operator", "customer service",
                ],
                "es": [
                    "agente", "humano", "persona real", "representante", "hablar con alguien", "hablar con una persona",
                    "operador", "servicio al cliente",
                ],
            ], action: .escalate(QueueCatalog.defaultQueueName)),
        Intent(
            name: "high_risk",
            phrases: [
                "en": [
                    "lawyer", "attorney", "sue", "lawsuit", "fraud", "scam", "stolen", "unacceptable", "ridiculous",
                    "furious", "worst", "terrible", "disgusting", "complaint",
                ],
                "es": [
                    "abogado", "demanda", "demandar", "fraude", "estafa", "robado", "inaceptable", "ridículo",
                    "furioso", "pésimo", "terrible", "queja",
                ],
            ], action: .escalate(QueueCatalog.defaultQueueName)),
        Intent(
            name: "refunds",
            phrases: [
                "en": ["refund", "refunds", "money back", "chargeback", "charge back"],
                "es": ["reembolso", "devolución del dinero", "devuelvan mi dinero", "mi dinero de vuelta"],
            ], action: .escalate(QueueCatalog.defaultQueueName)),
        Intent(
            name: "billing",
            phrases: [
                "en": ["billing", "my bill", "invoice", "charged twice", "double charged", "overcharged", "payment"],
                "es": ["factura", "facturación", "cobro doble", "me cobraron dos veces", "cobro", "pago"],
            ], action: .escalate(QueueCatalog.defaultQueueName)),
        Intent(
            name: "cancellation",
            phrases: [
                "en": ["cancel my order", "cancel the order", "cancel my subscription", "cancel order"],
                "es": ["cancelar mi pedido", "cancelar el pedido", "cancelar mi suscripción", "anular mi pedido"],
            ]),
        Intent(
            name: Intent.wrongNumber,
            phrases: [
                "en": ["wrong number", "who is this", "don't know you", "dont know you", "not me"],
                "es": ["número equivocado", "numero equivocado", "quién es", "quien es", "no le conozco"],
            ]),
        Intent(
            name: "reschedule",
            phrases: [
                "en": ["reschedule", "change my appointment", "move my appointment", "another time", "another day"],
                "es": ["reprogramar", "cambiar mi cita", "mover mi cita", "otro día", "otra hora"],
            ]),
        Intent(
            name: "confirmation",
            phrases: [
                "en": ["confirm", "confirmed", "i'll be there", "see you then"],
                "es": ["confirmo", "confirmado", "confirmada", "allí estaré", "nos vemos"],
            ]),
        Intent(
            name: "pricing",
            phrases: [
                "en": ["price", "cost", "how much", "discount", "coupon"],
                "es": ["precio", "cuánto cuesta", "cuanto cuesta", "cuánto es", "descuento", "cupón"],
            ], action: .queue("sales")),
        Intent(
            name: "support",
            phrases: [
                "en": ["not working", "broken", "problem", "issue", "doesn't work", "doesnt work", "error"],
                "es": ["no funciona", "roto", "problema", "falla", "error"],
            ], action: .queue("support")),
    ]

    /// In priority order.
    public let intents: [Intent]
    /// Names whose action `intents:` set (the others keep the shipped one).
    public let configuredActions: Set<String>

    /// The shipped defaults.
    public static let defaults = IntentCatalog(intents: shipped, configuredActions: [])

    private init(intents: [Intent], configuredActions: Set<String>) {
        self.intents = intents
        self.configuredActions = configuredActions
    }

    /// `entries` merged over the shipped defaults by name: an entry's phrases replace those of the
    /// languages it gives, its action replaces the action; a new name is added after the defaults.
    /// Checks names, languages, actions (the queues they name are checked by `check(queues:)`).
    public init(merging entries: [IntentEntry]) throws(IntentCatalogError) {
        var intents = Self.shipped
        var configured = Set<String>()
        var seen = Set<String>()
        for entry in entries {
            guard Self.isName(entry.name) else {
                throw IntentCatalogError("intent name \"\(entry.name)\" must be snake_case (a-z, 0-9, _; 1 to 64)")
            }
            guard !Self.keywordNames.contains(entry.name) else {
                throw IntentCatalogError(
                    "intent \"\(entry.name)\" is a compliance keyword's: its words are stop_words, start_words, help_words"
                )
            }
            guard seen.insert(entry.name).inserted else {
                throw IntentCatalogError("intent \"\(entry.name)\" is configured twice")
            }
            for (language, phrases) in entry.phrases ?? [:] {
                guard Self.languages.contains(language) else {
                    throw IntentCatalogError(
                        "intent \"\(entry.name)\": unknown locale \"\(language)\" (phrases may be given in "
                            + Self.languages.sorted().joined(separator: ", ") + ")")
                }
                guard phrases.allSatisfy({ !Intent.normalizedWords($0).isEmpty }) else {
                    throw IntentCatalogError("intent \"\(entry.name)\": a \(language) phrase has no words")
                }
            }
            if let action = entry.action {
                try Self.check(action, of: entry.name)
                configured.insert(entry.name)
            }
            if let index = intents.firstIndex(where: { $0.name == entry.name }) {
                intents[index].phrases.merge(entry.phrases ?? [:]) { _, new in new }
                if let action = entry.action { intents[index].action = action }
            } else {
                guard let phrases = entry.phrases, phrases.values.contains(where: { !$0.isEmpty }) else {
                    throw IntentCatalogError("intent \"\(entry.name)\" is new: it needs phrases")
                }
                intents.append(Intent(name: entry.name, phrases: phrases, action: entry.action ?? .none))
            }
        }
        self.init(intents: intents, configuredActions: configured)
    }

    private static func check(_ action: IntentAction, of name: String) throws(IntentCatalogError) {
        if name == Intent.wrongNumber, action != .none {
            throw IntentCatalogError(
                "intent \"wrong_number\": its action is built in (the texter is asked once to reply WRONG): "
                    + "only its phrases can be configured")
        }
        switch action {
        case .none: break
        case .template(let template):
            guard QueueCatalog.isName(template) else {
                throw IntentCatalogError("intent \"\(name)\": template name \"\(template)\" is not a template name")
            }
        case .queue(let queue), .escalate(let queue):
            guard QueueCatalog.isName(queue) else {
                throw IntentCatalogError("intent \"\(name)\": queue name \"\(queue)\" is not a queue name")
            }
        }
    }

    /// Checks the queues the actions name against `queues`: a configured action naming a queue
    /// that is not configured is an error; a shipped one is idle (`acting(with:)` makes it `none`)
    /// until the queue is configured, as `check-config` shows.
    public func check(queues: QueueCatalog) throws(IntentCatalogError) {
        for intent in intents where configuredActions.contains(intent.name) {
            guard let queue = intent.action.queue, queues.queue(named: queue) == nil else { continue }
            throw IntentCatalogError(
                "intent \"\(intent.name)\": action \(intent.action) names queue \"\(queue)\", which is not "
                    + "configured (queues: " + queues.queues.map(\.name).joined(separator: ", ") + ")")
        }
    }

    /// This catalog as routing uses it with `queues`: an action naming a queue that does not
    /// exist is `none` (only shipped actions can: `check(queues:)` refuses configured ones).
    public func acting(with queues: QueueCatalog) -> IntentCatalog {
        IntentCatalog(
            intents: intents.map { intent in
                var intent = intent
                if let queue = intent.action.queue, queues.queue(named: queue) == nil { intent.action = .none }
                return intent
            }, configuredActions: configuredActions)
    }

    /// Adds `phrases` to those of intent `name` in `language` (the older `*_phrases` settings).
    public func adding(_ phrases: [String], to name: String, language: String = baseLanguage) -> IntentCatalog {
        IntentCatalog(
            intents: intents.map { intent in
                guard intent.name == name, !phrases.isEmpty else { return intent }
                var intent = intent
                intent.phrases[language, default: []] += phrases
                return intent
            }, configuredActions: configuredActions)
    }

    public func intent(named name: String) -> Intent? { intents.first { $0.name == name } }

    /// snake_case: 1 to 64 of a-z, 0-9 and `_`, starting with a letter.
    public static func isName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.first.map { (0x61...0x7A).contains($0) } == true
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }
}

/// One entry of `intents:`, as configured: what it gives replaces the default's.
public struct IntentEntry: Sendable, Equatable {
    public var name: String
    public var phrases: [String: [String]]?
    public var action: IntentAction?

    public init(name: String, phrases: [String: [String]]? = nil, action: IntentAction? = nil) {
        self.name = name
        self.phrases = phrases
        self.action = action
    }
}

/// An `intents:` configuration that cannot work, said in a sentence.
public struct IntentCatalogError: Error, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }
}

/// A catalog's phrases prepared once (each phrase split into its normalized words and filed under
/// its first word), so classifying a message costs one pass over it and one lookup per word.
public struct IntentMatcher: Sendable {
    /// By first word: the rest of each phrase starting with it, its intent's position and language.
    private let phrasesByFirstWord: [String: [(rest: ArraySlice<String>, intent: Int, language: String)]]
    private let intents: [Intent]

    public init(_ catalog: IntentCatalog = .defaults) {
        var byFirstWord: [String: [(rest: ArraySlice<String>, intent: Int, language: String)]] = [:]
        for (index, intent) in catalog.intents.enumerated() {
            for (language, phrases) in intent.phrases {
                for words in phrases.map(Intent.normalizedWords) where !words.isEmpty {
                    byFirstWord[words[0], default: []].append((words.dropFirst(), index, language))
                }
            }
        }
        phrasesByFirstWord = byFirstWord
        intents = catalog.intents
    }

    /// Every phrase match in `body`, whatever its language (the contact's locale, read later,
    /// picks among them: `IntentMatches.intents(locale:)`).
    public func classify(_ body: String) -> IntentMatches {
        let words = Intent.normalizedWords(body)
        var found: [Int: Set<String>] = [:]
        for (index, word) in words.enumerated() {
            for phrase in phrasesByFirstWord[word] ?? [] where words[(index + 1)...].starts(with: phrase.rest) {
                found[phrase.intent, default: []].insert(phrase.language)
            }
        }
        return IntentMatches(
            matches: found.keys.sorted().map { (intents[$0], found[$0]!) })
    }
}

/// The intents a message's words matched, each with the languages of the phrases that matched.
public struct IntentMatches: Sendable {
    let matches: [(intent: Intent, languages: Set<String>)]

    /// No phrase of any language matched.
    public static let nothing = IntentMatches(matches: [])

    /// Whether a phrase of another language than the base one matched: only then does the
    /// contact's locale matter.
    public var needsLocale: Bool {
        matches.contains { !$0.languages.contains(IntentCatalog.baseLanguage) }
    }

    /// The intents matched for a contact with `locale` (`es-MX`, nil...), in priority order: by
    /// the base language's phrases and those of the locale's language.
    public func intents(locale: String?) -> [Intent] {
        let language = Keyword.language(of: locale)
        return matches.filter {
            $0.languages.contains(IntentCatalog.baseLanguage) || language.map($0.languages.contains) == true
        }
        .map(\.intent)
    }
}
