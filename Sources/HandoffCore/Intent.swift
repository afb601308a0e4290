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
        let words = normalizedWords(body)
        return allCases.filter { intent in
            (phrases[intent] ?? []).contains { phrase in contains(words, normalizedWords(phrase)) }
        }
    }

    /// Whether a human should own a conversation that received this message.
    public var needsHuman: Bool { self == .humanRequest || self == .highRisk }

    private static func normalizedWords(_ text: String) -> [Substring] {
        let lowered = String(text.lowercased().map { $0 == "’" ? "'" : $0 })
        return lowered.split { !($0.isLetter || $0.isNumber || $0 == "'") }
    }

    private static func contains(_ words: [Substring], _ phrase: [Substring]) -> Bool {
        guard !phrase.isEmpty, words.count >= phrase.count else { return false }
        for start in 0...(words.count - phrase.count) where Array(words[start..<start + phrase.count]) == phrase {
            return true
        }
        return false
    }
}
