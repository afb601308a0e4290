import HandoffCore
import Testing

@Suite struct KeywordTests {
    @Test(arguments: [
        ("STOP", Keyword.optOut), (" stop ", .optOut), ("Stop.", .optOut), ("unsubscribe", .optOut),
        ("STOPALL", .optOut), ("Quit!", .optOut), ("optout", .optOut), ("please stop texting me", .optOut),
        ("Don’t text me anymore", .optOut), ("remove me from this list", .optOut),
        ("START", .optIn), ("yes", .optIn), ("Yes!", .optIn), ("unstop", .optIn),
        ("HELP", .help), ("info?", .help),
        ("one two three four five six seven eight nine ten stop texting", .optOut),
        ("one\ttwo\nthree\u{2003}four five six seven eight nine ten stop texting", .optOut),
    ])
    func classifiesKeywords(body: String, keyword: Keyword) {
        #expect(Keyword(classifying: body) == keyword)
    }

    @Test(arguments: [
        "Stop by the store tomorrow?", "yes please, the blue one", "Where is my order?", "I need help with my order",
        "",
        "Can you tell me whether the store will stop selling this model next year because I would like to buy one more",
        "one two three four five six seven eight nine ten eleven stop texting",
        "one\ttwo\nthree\u{2003}four\u{00A0}five six seven eight nine ten eleven stop texting",
    ])
    func leavesConversationAlone(body: String) {
        #expect(Keyword(classifying: body) == nil)
    }

    @Test func learnsOtherLanguagesFromConfiguration() {
        let spanish = Keyword.Vocabulary(
            optOutWords: ["baja", "parar"], optInWords: ["alta"], helpWords: ["ayuda"],
            optOutPhrases: ["no me escribas"])
        #expect(Keyword(classifying: "BAJA", vocabulary: spanish) == .optOut)
        #expect(Keyword(classifying: "alta", vocabulary: spanish) == .optIn)
        #expect(Keyword(classifying: "Ayuda!", vocabulary: spanish) == .help)
        #expect(Keyword(classifying: "Por favor no me escribas más", vocabulary: spanish) == .optOut)
        #expect(Keyword(classifying: "STOP", vocabulary: spanish) == .optOut, "the standard words always apply")
        #expect(Keyword(classifying: "BAJA") == nil)
    }

    @Test func spanishWordsAreKeywordsForSpanishSpeakersOnly() {
        for word in ["ALTO", "parar", "Cancelar", "BAJA"] {
            #expect(Keyword(classifying: word, locale: "es-MX") == .optOut, "\(word)")
            #expect(Keyword(classifying: word, locale: "es_US") == .optOut, "\(word)")
        }
        #expect(Keyword(classifying: "BAJA", locale: "en-US") == nil, "an English speaker's BAJA is a word")
        #expect(Keyword(classifying: "Alto", locale: nil) == nil)
        #expect(Keyword(classifying: "STOP", locale: "es-MX") == .optOut, "the English words always apply")
        #expect(Keyword(classifying: "Sí", locale: "es") == .optIn)
        #expect(Keyword(classifying: "ayuda", locale: "es-419") == .help)
        #expect(Keyword(classifying: "Por favor dejen de escribir", locale: "es-MX,es;q=0.9") == .optOut)
        #expect(Keyword(classifying: "Por favor dejen de escribir", locale: "en") == nil)
    }

    @Test(arguments: [
        ("es-MX", "es"), ("es_US", "es"), ("EN-gb", "en"), ("es-MX,es;q=0.9,en;q=0.8", "es"), (" fr ", "fr"),
    ])
    func readsTheLanguageOfALocale(locale: String, language: String) {
        #expect(Keyword.language(of: locale) == language)
    }

    @Test func aMissingLocaleHasNoLanguage() {
        #expect(Keyword.language(of: nil) == nil)
        #expect(Keyword.language(of: "") == nil)
        #expect(Keyword.language(of: ";q=1") == nil)
    }
}
