import HandoffCore
import Testing

@Suite struct IntentTests {
    /// The names of the shipped intents `body` matches for a contact with `locale`.
    static func classify(_ body: String, locale: String? = nil, catalog: IntentCatalog = .defaults) -> [String] {
        IntentMatcher(catalog).classify(body).intents(locale: locale).map(\.name)
    }

    @Test(arguments: [
        ("Can I talk to a real person please", ["human_request"]),
        ("I want a REFUND now", ["refunds"]),
        ("This is the worst service, I'll call my lawyer", ["high_risk"]),
        ("I was charged twice on my invoice", ["billing"]),
        ("Wrong number, who is this?", ["wrong_number"]),
        ("How much does shipping cost?", ["pricing"]),
        ("Please cancel my order", ["cancellation"]),
        ("Can I reschedule for another day?", ["reschedule"]),
        ("Confirmed, see you then", ["confirmation"]),
        ("The app is not working", ["support"]),
        ("Thanks, see you soon", []),
        ("The agency sent it", []),
        ("I asked my humanities teacher", []),
        ("Refund it or let me talk to a person", ["human_request", "refunds"]),
        ("I would like to talk to", []),
        ("cancel order", ["cancellation"]),
        ("Not me. Cancel the order", ["cancellation", "wrong_number"]),
    ])
    func classifiesOnWholeWordsInPriorityOrder(body: String, intents: [String]) {
        #expect(Self.classify(body) == intents)
    }

    /// Spanish phrases classify Spanish-speaking contacts' texts; English ones classify everyone's.
    @Test func phrasesClassifyTheContactsOfTheirLanguage() {
        #expect(Self.classify("¿Cuánto cuesta el envío?", locale: "es-MX") == ["pricing"])
        #expect(Self.classify("¿Cuánto cuesta el envío?", locale: "en-US").isEmpty)
        #expect(Self.classify("¿Cuánto cuesta el envío?").isEmpty, "no locale: English")
        #expect(Self.classify("Quiero un reembolso", locale: "es") == ["refunds"])
        #expect(Self.classify("Quiero hablar con una persona", locale: "es-US,es;q=0.9") == ["human_request"])
        #expect(Self.classify("I want a refund", locale: "es") == ["refunds"], "English phrases classify everyone")
        #expect(IntentMatcher().classify("precio").needsLocale)
        #expect(!IntentMatcher().classify("price").needsLocale, "an English match reads no locale")
    }

    @Test func theShippedActions() {
        let actions = Dictionary(uniqueKeysWithValues: IntentCatalog.defaults.intents.map { ($0.name, $0.action) })
        #expect(
            IntentCatalog.defaults.intents.map(\.name) == [
                "human_request", "high_risk", "refunds", "billing", "cancellation", "wrong_number", "reschedule",
                "confirmation", "pricing", "support",
            ])
        for name in ["human_request", "high_risk", "refunds", "billing"] {
            #expect(actions[name] == .escalate(QueueCatalog.defaultQueueName), "\(name) goes to a human first")
        }
        #expect(actions["pricing"] == .queue("sales") && actions["support"] == .queue("support"))
        for name in ["wrong_number", "cancellation", "reschedule", "confirmation"] {
            #expect(actions[name] == IntentAction.none)
        }
    }

    /// `intents:` entries merge over the defaults by name; new names come after them.
    @Test func configuredEntriesMergeByName() throws {
        let catalog = try IntentCatalog(merging: [
            IntentEntry(name: "pricing", phrases: ["es": ["tarifa"]], action: .queue("humans")),
            IntentEntry(name: "cancellation", action: .template("cancel_help")),
            IntentEntry(name: "opening_hours", phrases: ["en": ["opening hours", "open today"]]),
        ])
        let pricing = try #require(catalog.intent(named: "pricing"))
        #expect(pricing.action == .queue("humans"))
        #expect(pricing.phrases["es"] == ["tarifa"], "the configured locale's phrases replace the default's")
        #expect(pricing.phrases["en"] == IntentCatalog.defaults.intent(named: "pricing")?.phrases["en"])
        #expect(
            catalog.intent(named: "cancellation")?.phrases
                == IntentCatalog.defaults.intent(named: "cancellation")?.phrases)
        #expect(
            catalog.intents.last == Intent(name: "opening_hours", phrases: ["en": ["opening hours", "open today"]]))
        #expect(Self.classify("Are you open today?", catalog: catalog) == ["opening_hours"])
        #expect(Self.classify("¿Cuál es la tarifa?", locale: "es", catalog: catalog) == ["pricing"])
        #expect(Self.classify("¿Cuál es el precio?", locale: "es", catalog: catalog).isEmpty)
    }

    @Test(arguments: [
        (IntentEntry(name: "Pricing"), "snake_case"),
        (IntentEntry(name: "opt_out", phrases: ["en": ["unsubscribe"]]), "compliance keyword"),
        (IntentEntry(name: "pricing", phrases: ["fr": ["prix"]]), "unknown locale \"fr\""),
        (IntentEntry(name: "hours", action: .queue("sales")), "needs phrases"),
        (IntentEntry(name: "pricing", phrases: ["en": ["?!"]]), "no words"),
        (IntentEntry(name: "wrong_number", action: .queue("sales")), "built in"),
        (IntentEntry(name: "pricing", action: .template("no spaces")), "not a template name"),
    ])
    func aBadEntryIsRefusedSayingWhy(entry: IntentEntry, said: String) {
        #expect {
            try IntentCatalog(merging: [entry])
        } throws: { error in
            (error as? IntentCatalogError)?.message.contains(said) == true
        }
    }

    /// A configured action naming a queue that does not exist is an error; a shipped one does
    /// nothing until the queue is configured.
    @Test func actionsNamingMissingQueues() throws {
        try IntentCatalog.defaults.check(queues: .builtIn)
        let acting = IntentCatalog.defaults.acting(with: .builtIn)
        #expect(acting.intent(named: "pricing")?.action == IntentAction.none)
        #expect(acting.intent(named: "refunds")?.action == .escalate("humans"))
        let withQueues = try QueueCatalog([Queue(name: "sales"), Queue(name: "support")])
        #expect(IntentCatalog.defaults.acting(with: withQueues) == IntentCatalog.defaults)

        let configured = try IntentCatalog(merging: [IntentEntry(name: "billing", action: .escalate("accounts"))])
        #expect {
            try configured.check(queues: withQueues)
        } throws: { error in
            (error as? IntentCatalogError)?.message.contains("queue \"accounts\", which is not configured") == true
        }
    }

    /// The stored intent is the first rule match: what needs a person before a topic.
    @Test func theStoredIntentIsTheFirstMatchOrTheKeyword() {
        let rules = { (body: String) in MessageIntent(rules: IntentMatcher().classify(body).intents(locale: nil)) }
        #expect(rules("Refund it or let me talk to a person")?.name == "human_request")
        #expect(rules("Not me. Cancel the order")?.name == "cancellation")
        #expect(rules("How much is it?") == MessageIntent(name: "pricing", source: .rules))
        #expect(rules("Thanks") == nil)
        #expect(
            [Keyword.optOut, .optIn, .help].map { MessageIntent(keyword: $0) }
                == ["opt_out", "opt_in", "help"].map { MessageIntent(name: $0, source: .keyword) })
    }
}
