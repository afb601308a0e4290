/// The intent stored with a customer's message (and as its conversation's last intent): one
/// name, what found it, and how sure that was.
public struct MessageIntent: Sendable, Equatable {
    /// What classified the message.
    public enum Source: String, Sendable, Equatable {
        /// A compliance keyword (STOP, START, HELP…): `opt_out`, `opt_in`, `help`.
        case keyword
        /// The phrase rules of `IntentCatalog`.
        case rules
        /// An external classifier.
        case classifier
        /// An expected answer to a template's text.
        case templateAnswer = "template_answer"
    }

    /// snake_case: an `IntentCatalog` name, a keyword's name, or a classifier's or template's own.
    public var name: String
    public var source: Source
    /// From 0 to 1, when the source gives one (rules and keywords do not).
    public var confidence: Double?

    public init(name: String, source: Source, confidence: Double? = nil) {
        self.name = name
        self.source = source
        self.confidence = confidence
    }

    /// The intent the phrase rules give a message that matched `intents` (in the catalog's
    /// priority order, as `IntentMatches.intents(locale:)` returns them): the first, since that
    /// order puts what needs a person before the narrower topics. Nil when nothing matched.
    public init?(rules intents: [Intent]) {
        guard let first = intents.first else { return nil }
        self.init(name: first.name, source: .rules)
    }

    /// The intent of a message that is a compliance keyword: `opt_out`, `opt_in` or `help`.
    public init(keyword: Keyword) {
        let name =
            switch keyword {
            case .optOut: "opt_out"
            case .optIn: "opt_in"
            case .help: "help"
            }
        self.init(name: name, source: .keyword)
    }
}
