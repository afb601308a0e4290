/// What an inbound text asks for, by the compliance keywords (PROTOCOLS.md).
public enum Keyword: String, Sendable, Equatable {
    /// Stop all texts: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, or a sentence a
    /// reasonable person reads as "stop texting me" (FCC: revocation by any reasonable means).
    case optOut
    /// START, YES, UNSTOP: opt in (again), or confirm a pending verification.
    case optIn
    /// HELP, INFO.
    case help

    static let optOutWords: Set<String> = [
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
    ]
    static let optInWords: Set<String> = ["START", "YES", "UNSTOP"]
    static let helpWords: Set<String> = ["HELP", "INFO"]
    /// Phrases that revoke consent wherever they appear in a short message.
    static let optOutPhrases = [
        "stop texting", "stop messaging", "stop sending", "stop contacting", "don't text", "dont text", "do not text",
        "no more texts", "no more messages", "remove me", "opt me out", "opt out", "unsubscribe me", "leave me alone",
    ]

    /// The words and phrases of the languages shipped besides English, used for contacts who speak
    /// them (a word such as BAJA or ALTO is a name or an ordinary word in English messages).
    static let byLanguage: [String: Vocabulary] = [
        "es": Vocabulary(
            optOutWords: ["ALTO", "PARAR", "PARE", "CANCELAR", "BAJA", "DETENER"],
            optInWords: ["ALTA", "SI", "SÍ", "COMENZAR", "INICIAR"], helpWords: ["AYUDA"],
            optOutPhrases: [
                "dejen de escribir", "dejen de enviar", "no me escriban", "no me envíen", "no me envien",
                "no más mensajes", "no mas mensajes", "darme de baja", "dame de baja",
            ])
    ]

    /// The keyword `body` is, if any: the whole message, trimmed, case-insensitive, without
    /// trailing punctuation; or, for opt-out, a revoking phrase in a message of a few words.
    /// `vocabulary` adds words and phrases (other languages, the business's own wording) to the
    /// standard ones, which always apply; so do those of the contact's `locale` (`es-MX`: Spanish).
    public init?(classifying body: String, vocabulary: Vocabulary = Vocabulary(), locale: String? = nil) {
        let vocabularies = [vocabulary] + (Self.language(of: locale).flatMap { Self.byLanguage[$0] }.map { [$0] } ?? [])
        let trimmed = Self.trimmed(body)
        var word = trimmed.uppercased()
        while let last = word.last, last.isPunctuation || last.isWhitespace { word.removeLast() }
        if Self.optOutWords.contains(word) || vocabularies.contains(where: { $0.optOutWords.contains(word) }) {
            self = .optOut
        } else if Self.optInWords.contains(word) || vocabularies.contains(where: { $0.optInWords.contains(word) }) {
            self = .optIn
        } else if Self.helpWords.contains(word) || vocabularies.contains(where: { $0.helpWords.contains(word) }) {
            self = .help
        } else {
            guard !Self.hasMoreWords(than: 12, trimmed) else { return nil }
            let lowered = String(trimmed.lowercased().map { $0 == "’" ? "'" : $0 })
            let phrases = Self.optOutPhrases + vocabularies.flatMap(\.optOutPhrases)
            guard phrases.contains(where: { lowered.contains($0) }) else { return nil }
            self = .optOut
        }
    }

    /// The language subtag of a contact's locale, lowercased: `es` for `es-MX`, `es_US` or an
    /// Accept-Language list that starts `es-MX,es;q=0.9`; nil when there is none.
    public static func language(of locale: String?) -> String? {
        guard
            let first = locale?.split(separator: ",", omittingEmptySubsequences: false).first?
                .split(separator: ";", omittingEmptySubsequences: false).first
        else { return nil }
        let language = TemplateLocale.language(of: String(trimmed(String(first))))
        return language.isEmpty ? nil : language
    }

    /// Extra keywords (uppercased single words) and opt-out phrases (lowercased), from configuration.
    public struct Vocabulary: Sendable, Equatable {
        public var optOutWords: Set<String>
        public var optInWords: Set<String>
        public var helpWords: Set<String>
        public var optOutPhrases: [String]

        public init(
            optOutWords: [String] = [], optInWords: [String] = [], helpWords: [String] = [],
            optOutPhrases: [String] = []
        ) {
            self.optOutWords = Set(optOutWords.map { $0.uppercased() })
            self.optInWords = Set(optInWords.map { $0.uppercased() })
            self.helpWords = Set(helpWords.map { $0.uppercased() })
            self.optOutPhrases = optOutPhrases.map { $0.lowercased() }
        }
    }

    /// Whether `text` has more than `limit` whitespace-separated words; stops counting there.
    private static func hasMoreWords(than limit: Int, _ text: Substring) -> Bool {
        var words = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let isSpace =
                scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
            if isSpace {
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
                if words > limit { return true }
            }
        }
        return false
    }

    private static func trimmed(_ text: String) -> Substring {
        var text = text[...]
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
