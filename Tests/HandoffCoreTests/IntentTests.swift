import HandoffCore
import Testing

@Suite struct IntentTests {
    @Test(arguments: [
        ("Can I talk to a real person please", [Intent.humanRequest]),
        ("I want a REFUND now", [.highRisk]),
        ("This is the worst service, I'll call my lawyer", [.highRisk]),
        ("Wrong number, who is this?", [.wrongNumber]),
        ("How much does shipping cost?", [.pricing]),
        ("Please cancel my order", [.cancellation]),
        ("The app is not working", [.support]),
        ("Thanks, see you soon", []),
        ("The agency sent it", []),
        ("I asked my humanities teacher", []),
        ("Refund it or let me talk to a person", [.humanRequest, .highRisk]),
        ("I would like to talk to", []),
        ("cancel order", [.cancellation]),
        ("Not me. Cancel the order", [.cancellation, .wrongNumber]),
    ])
    func classifiesOnWholeWords(body: String, intents: [Intent]) {
        #expect(Intent.classify(body) == intents)
    }

    @Test func onlyRiskAndHumanRequestsNeedAHuman() {
        #expect(Intent.allCases.filter(\.needsHuman) == [.humanRequest, .highRisk])
    }

    /// The stored intent is the first rule match: a human request or high risk before a topic.
    @Test func theStoredIntentIsTheFirstMatchOrTheKeyword() {
        #expect(MessageIntent(rules: Intent.classify("Refund it or let me talk to a person"))?.name == "human_request")
        #expect(MessageIntent(rules: Intent.classify("Not me. Cancel the order"))?.name == "cancellation")
        #expect(
            MessageIntent(rules: Intent.classify("How much is it?")) == MessageIntent(name: "pricing", source: .rules))
        #expect(MessageIntent(rules: Intent.classify("Thanks")) == nil)
        #expect(
            [Keyword.optOut, .optIn, .help].map { MessageIntent(keyword: $0) }
                == ["opt_out", "opt_in", "help"].map { MessageIntent(name: $0, source: .keyword) })
    }
}
