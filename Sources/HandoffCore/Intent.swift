/// What a customer's message is about, as far as routing cares: small phrase sets, matched on
/// whole words in lowercased text. Not a language model: predictable, testable, configurable.
public enum Intent: String, Sendable, Equatable, CaseIterable {
    case humanRequest = "human_request"
    /// Refunds, chargebacks, lawyers, fraud, anger: a human should take it.
    case highRisk = "high_risk"
    case cancellation
    case wrongNumber = "wrong_number"
    case pricing
    case support

    /// Phrases per intent; a message matches when it contains one as whole words.
    public static let defaultPhrases: [Intent: [String]] = [
        .humanRequest: [
            "agent", "human", "real person", "representative", "talk to someone", "speak to someone",
            "speak to a person", "talk to a person", "operator", "customer service",
        ],
        .highRisk: [
            "refund", "chargeback", "charge back", "lawyer", "attorney", "sue", "lawsuit", "fraud", "scam",
            "stolen", "unacceptable", "ridiculous", "furious", "worst", "terrible", "disgusting", "complaint",
        ],
        .cancellation: ["cancel my order", "cancel the order", "cancel my subscription", "cancel order"],
        .wrongNumber: ["wrong number", "who is this", "don't know you", "dont know you", "not me"],
        .pricing: ["price", "cost", "how much", "discount", "coupon"],
        .support: ["not working", "broken", "problem", "issue", "doesn't work", "doesnt work", "error"],
    ]

    /// Every intent `body` matches, in declaration order.
    public static func classify(_ body: String, phrases: [Intent: [String]] = defaultPhrases) -> [Intent] {
        Matcher(phrases).classify(body)
    }

    /// Whether a human should own a conversation that received this message.
    public var needsHuman: Bool { self == .humanRequest || self == .highRisk }

    /// Phrase sets prepared once (each phrase split into its normalized words and filed under its
    /// first word), so classifying a message costs one pass over it and one lookup per word.
    public struct Matcher: Sendable {
        /// By first word: the rest of each phrase starting with it, and the phrase's intent.
        private let phrasesByFirstWord: [String: [(rest: ArraySlice<String>, intent: Intent)]]

        public init(_ phrases: [Intent: [String]] = Intent.defaultPhrases) {
            var byFirstWord: [String: [(rest: ArraySlice<String>, intent: Intent)]] = [:]
            for intent in Intent.allCases {
                for words in (phrases[intent] ?? []).map(Intent.normalizedWords) where !words.isEmpty {
                    byFirstWord[words[0], default: []].append((words.dropFirst(), intent))
                }
            }
            phrasesByFirstWord = byFirstWord
        }

        /// Every intent `body` matches, in declaration order.
        public func classify(_ body: String) -> [Intent] {
            let words = Intent.normalizedWords(body)
            var found = Set<Intent>()
            for (index, word) in words.enumerated() {
                for phrase in phrasesByFirstWord[word] ?? []
                where words[(index + 1)...].starts(with: phrase.rest) {
                    found.insert(phrase.intent)
                }
            }
            return Intent.allCases.filter(found.contains)
        }
    }

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
