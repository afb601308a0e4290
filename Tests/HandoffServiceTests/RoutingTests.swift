import DatabaseDriver
import Foundation
import Gateway
import HandoffCore
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Escalation to humans on the customer's words, on the web and by SMS.
@Suite struct RoutingTests {
    static func conversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
    }

    @Test func aRefundRequestGoesToAHumanAndPausesTheBot() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"I want a refund"}"#)
            let conversation = try await Self.conversation(id, client)
            #expect(conversation["state"] as? String == "escalated")
            #expect(conversation["queue"] as? String == "humans")
            #expect(conversation["escalation_reason"] as? String == "refunds")
            let history = try await API.history(cookie, client)
            #expect(history.last?["author"] as? String == "system")
            let bot = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent, body: #"{"body":"Hi!","author":"bot"}"#)
            #expect(bot.status == 409)
            let agent = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"On it.","author":"agent"}"#)
            #expect(agent.status == 201)
        }
    }

    @Test func theSameQuestionTwiceEscalates() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            for _ in 0..<2 {
                _ = try await client.request(
                    "POST", "/v1/messages", headers: API.json(cookie),
                    body: #"{"body":"Where is my parcel?"}"#)
            }
            #expect(try await Self.conversation(id, client)["escalation_reason"] as? String == "repeated_question")
        }
    }

    @Test func byTextAHumanRequestEscalates() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550147"
            let (_, id) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "can I talk to a human")
            #expect(try await Self.conversation(id, client)["state"] as? String == "escalated")
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body.contains("member of our team") == true
                })
        }
    }

    /// "Who is this?" may come from the real customer: it asks once, and only the WRONG that
    /// answers stops texts to the number and unlinks it.
    @Test func aWrongNumberIsAskedOnceAndStopsOnlyOnItsConfirmation() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550148"
            let (cookie, conversationID) = try await API.activeSession(phone, client, simulator)
            let questions = { simulator.inbox(of: phone).filter { $0.body.contains("Reply WRONG") }.count }
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Wrong number, who is this?")
            #expect(try await eventually { questions() == 1 }, "asked to confirm")
            #expect(try await application.database.read { try !connectionIsSuppressed($0, phone) })
            let linked = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect((linked.json?["handoff"] as? [String: Any])?["state"] as? String == "active", "still linked")

            // The real customer goes on: texts still reach them, and the question is not asked again.
            _ = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: API.agent,
                body: #"{"body":"It's the shop, about your order","author":"agent"}"#)
            #expect(try await eventually { simulator.inbox(of: phone).last?.body.contains("about your order") == true })
            _ = try await simulator.reply(from: phone, to: API.sender, body: "who is this?")
            try await Task.sleep(for: .milliseconds(200))
            #expect(questions() == 1, "asked once")

            _ = try await simulator.reply(from: phone, to: API.sender, body: "wrong")
            #expect(try await application.database.read { try connectionIsSuppressed($0, phone) })
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(
                (session.json?["handoff"] as? [String: Any])?["state"] as? String == "none", "the number is unlinked")
            let ledger = try await application.database.read { try HandoffRepository($0).consents(phone: phone) }
            #expect(ledger.last?.event == "opt_out" && ledger.last?.method == "wrong_number")
        }
    }

    @Test func aWrongWithoutTheQuestionIsAnOrdinaryMessage() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550149"
            _ = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "WRONG")
            #expect(try await application.database.read { try !connectionIsSuppressed($0, phone) })
        }
    }

    @Test func theSameQuestionInOtherWordsEscalates() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            for body in ["Where is my parcel?", "thanks", "wheres my parcel??"] {
                _ = try await client.request(
                    "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
            }
            #expect(try await Self.conversation(id, client)["escalation_reason"] as? String == "repeated_question")
        }
    }

    @Test func threeUnansweredQuestionsInARowEscalate() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            let ask = { (body: String) in
                _ = try await client.request(
                    "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
            }
            try await ask("Do you ship to Canada?")
            try await ask("What are the fees?")
            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"We do, fees depend on weight.","author":"bot"}"#)
            try await ask("How long does it take?")
            #expect(try await Self.conversation(id, client)["state"] as? String == "open", "the bot answered between")
            try await ask("Is there tracking?")
            try await ask("Can I pay on delivery?")
            #expect(try await Self.conversation(id, client)["escalation_reason"] as? String == "unanswered_questions")
        }
    }

    @Test func threeWrongCodesTellAnAgent() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await API.requestHandoff(cookie, "+14155550161", client)
            for attempt in 1...3 {
                #expect(try await Self.conversation(id, client)["state"] as? String == "open", "attempt \(attempt)")
                let wrong = try await client.request(
                    "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"000000"}"#)
                #expect(API.errorCode(wrong) == "wrong_code")
            }
            let conversation = try await Self.conversation(id, client)
            #expect(conversation["state"] as? String == "escalated")
            #expect(conversation["escalation_reason"] as? String == "verification_failed")
        }
    }

    @Test func configuredPhrasesEscalateToo() async throws {
        try await TestApplication.inProcess({ $0.highRiskPhrases = ["cancel everything"] }) { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie),
                body: #"{"body":"Cancel everything now"}"#)
            #expect(try await Self.conversation(id, client)["escalation_reason"] as? String == "high_risk")
        }
    }

    @Test func anUnansweredCustomerGetsAHumanAfterTheSLA() async throws {
        // One second: the bot's answer below comes within it even on a loaded machine (with 300 ms
        // the sweep sometimes found the answered customer still waiting).
        try await TestApplication.inProcess({ $0.answerSLA = .seconds(1) }) { _, client, _ in
            let (answeredCookie, answered) = try await API.startSession(client)
            let answeredID = try #require(answered["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(answeredCookie), body: #"{"body":"Hi there"}"#)
            _ = try await client.request(
                "POST", "/v1/conversations/\(answeredID)/messages", headers: API.agent,
                body: #"{"body":"Hello! How can I help?","author":"bot"}"#)
            // Asked after the answered one: when it escalates, the answered one's deadline is past.
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Hello?"}"#)
            #expect(
                try await eventually(seconds: 5) {
                    try await Self.conversation(id, client)["escalation_reason"] as? String == "no_answer"
                })
            #expect(try await Self.conversation(answeredID, client)["state"] as? String == "open")
        }
    }

    /// The wait is timed from the oldest unanswered customer message; a bot or agent answer ends it,
    /// a system notice does not (`awaiting_reply_since`, kept by triggers).
    @Test func theAnswerClockStartsAtTheFirstUnansweredMessage() throws {
        let directory = try TemporaryDirectory()
        let connection = try SQLiteConnection(path: directory.file("sla.sqlite").path)
        _ = try Migrator(directory: TestApplication.repositoryRoot.appendingPathComponent("migrations").path)
            .migrate(connection)
        let chat = ChatRepository(connection)
        try chat.insert(ContactRecord(id: "ct1", phoneE164: nil, locale: nil, timeZone: nil, createdAt: 0))
        let conversation = try chat.insert(
            ConversationRecord(
                id: "conv1", contactID: "ct1", state: .open, queue: nil, activeChannel: .web, createdAt: 0,
                updatedAt: 0))
        func say(_ author: Author, at time: Int64) throws {
            _ = try chat.insert(
                MessageRecord(
                    id: "msg\(time)", conversationID: conversation.id,
                    direction: author == .visitor ? .inbound : .outbound,
                    channel: .web, author: author, body: "text", status: "delivered", createdAt: time, updatedAt: time),
                clientKey: nil)
        }
        func waiting(before deadline: Int64) throws -> Bool {
            !(try chat.unansweredConversations(before: deadline, limit: 10).isEmpty)
        }
        #expect(try !waiting(before: 1_000))
        try say(.visitor, at: 100)
        try say(.visitor, at: 200)
        try say(.system, at: 300)
        #expect(try waiting(before: 101))
        #expect(try !waiting(before: 100))
        try say(.bot, at: 400)
        #expect(try !waiting(before: 1_000))
        try say(.visitor, at: 500)
        try say(.agent, at: 600)
        #expect(try !waiting(before: 1_000))
    }

}

private func connectionIsSuppressed(_ connection: any DatabaseDriver.Connection, _ phone: String) throws -> Bool {
    try Storage.SuppressionRepository(connection).isSuppressed(phone)
}
