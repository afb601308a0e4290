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
}
