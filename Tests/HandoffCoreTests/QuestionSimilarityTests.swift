import HandoffCore
import Testing

@Suite struct QuestionSimilarityTests {
    @Test(arguments: [
        ("Where is my parcel?", "where is my parcel"),
        ("Where is my parcel?", "wheres my parcel??"),
        ("When does the store open tomorrow?", "when does the store open tomorow"),
        ("Can I change my delivery address", "can i change the delivery address?"),
        ("¿Dónde está mi pedido?", "donde esta mi pedido"),
    ])
    func theSameQuestionInOtherWordsIsARepeat(first: String, second: String) {
        #expect(QuestionSimilarity.isRepeat(second, of: first), "\(QuestionSimilarity.score(first, second))")
    }

    @Test(arguments: [
        ("I want to cancel my order", "I want to track my order"),
        ("What time do you open?", "What time do you close on Sunday?"),
        ("Do you ship to Canada?", "How much is shipping to Canada?"),
        ("ok thanks", "ok thanks"),
        ("Where is order 1041?", "where is order 1042?"),
        ("0 full disk test", "1 full disk test"),
    ])
    func differentQuestionsOrShortOnesAreNot(first: String, second: String) {
        #expect(!QuestionSimilarity.isRepeat(second, of: first), "\(QuestionSimilarity.score(first, second))")
    }

    @Test func theScoreIsSymmetricAndBounded() {
        let pairs = [("abc def", "abd cef"), ("", "x"), ("Where is it", "where is it")]
        for (left, right) in pairs {
            let score = QuestionSimilarity.score(left, right)
            #expect(score == QuestionSimilarity.score(right, left))
            #expect((0...1).contains(score))
        }
        #expect(QuestionSimilarity.score("Where is it?", "where is it") == 1)
        #expect(QuestionSimilarity.score("", "") == 0)
    }
}
