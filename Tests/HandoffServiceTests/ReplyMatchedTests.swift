import DatabaseDriver
import Foundation
import GatewaySimulator
import HTTPServer
import HandoffCore
import Synchronization
import TestSupport
import Testing

@testable import HandoffService

/// Replies that act (API.md "Proactive texts"): an expected answer to a template's text within
/// 72 hours becomes `reply.matched` (business webhook and agent event) and gets the answer's
/// `reply_body`; other texts are triaged as usual; STOP stays STOP, and a YES confirms a pending
/// opt-in before it can be an answer.
@Suite struct ReplyMatchedTests {
    /// The business events an application posted, by type.
    final class Receiver: Sendable {
        let server: HTTPServer
        private let bodies: Bodies

        /// The raw events, as posted.
        final class Bodies: Sendable {
            let posted = Mutex<[String]>([])
        }

        init() throws {
            var router = Router()
            let bodies = Bodies()
            router.post("/hooks") { request in
                bodies.posted.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
                return HTTPResponse(status: .noContent)
            }
            self.bodies = bodies
            server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
            try server.start()
        }

        /// The `data` of every event of `type` received so far.
        func data(of type: String) -> [[String: Any]] {
            bodies.posted.withLock { $0 }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["type"] as? String == type }.compactMap { $0["data"] as? [String: Any] }
        }
    }

    /// Runs `body` with an approved reminder template, `phones` opted in to reminders on paper,
    /// and a receiver for business events.
    static func withApp(
        optedIn phones: [String],
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator, Receiver) async throws -> Void
    ) async throws {
        let receiver = try Receiver()
        defer { Task { [server = receiver.server] in await server.shutdown(gracePeriod: .zero) } }
        try await ProgramKeywords.withApp({
            $0.eventWebhookURL = "http://127.0.0.1:\(receiver.server.port)/hooks"
            $0.eventWebhookSecret = "whsec-reply-tests"
        }) { application, client, simulator in
            try await ProgramKeywords.approveReminder(client)
            try await ProgramKeywords.optIn(phones, client)
            try await body(application, client, simulator, receiver)
        }
    }

    /// The `reply.matched` events on `conversation`'s timeline (what agents' streams carry).
    static func agentEvents(_ conversation: String, _ application: HandoffApplication) async throws -> [[String: Any]] {
        let payloads = try await application.database.read { connection in
            try connection.query(
                "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'reply.matched' ORDER BY seq",
                [.text(conversation)]
            ).map { try $0.get("payload", as: String.self) }
        }
        return payloads.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Since when the conversation's customer waits for a bot or agent (the answer deadline's clock).
    static func waitingSince(_ conversation: String, _ application: HandoffApplication) async throws -> Int64? {
        try await application.database.read { connection in
            try connection.queryOne(
                "SELECT awaiting_reply_since FROM conversations WHERE id = ?", [.text(conversation)]
            )?.get("awaiting_reply_since")
        }
    }

    @Test func anExpectedAnswerFiresReplyMatchedAndGetsItsReply() async throws {
        let phone = "+14155550311"
        try await Self.withApp(optedIn: [phone]) { application, client, simulator, receiver in
            let outbound = try await ProgramKeywords.remind(phone, client, simulator)
            let conversation = try #require(outbound["conversation_id"] as? String)

            let answer = try await simulator.reply(from: phone, to: API.sender, body: "  c ")
            #expect(answer.status == 200)
            #expect(
                try await eventually { simulator.inbox(of: phone).last?.body == "Thanks, see you then! - Acme Dental" })
            #expect(try await eventually { receiver.data(of: "reply.matched").count == 1 })
            let matched = try #require(receiver.data(of: "reply.matched").first)
            #expect(matched["outbound_id"] as? String == outbound["id"] as? String)
            #expect(matched["template_id"] as? String == outbound["template_id"] as? String)
            #expect(matched["outcome"] as? String == "confirmed")
            #expect((matched["message"] as? [String: Any])?["body"] as? String == "  c ")
            let events = try await Self.agentEvents(conversation, application)
            #expect(events.map { $0["outcome"] as? String } == ["confirmed"])
            let history = try await client.request(
                "GET", "/v1/conversations/\(conversation)/messages", headers: API.agent)
            let bodies = (history.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String }
            #expect(bodies?.suffix(2) == ["  c ", "Thanks, see you then! - Acme Dental"], "in the agent's thread")
            let answered = (history.json?["messages"] as? [[String: Any]])?.first { $0["body"] as? String == "  c " }
            let intent = answered?["intent"] as? [String: Any]
            #expect(intent?["name"] as? String == "confirmed" && intent?["source"] as? String == "template_answer")
            let thread = try await client.request("GET", "/v1/conversations/\(conversation)", headers: API.agent)
            #expect((thread.json?["last_intent"] as? [String: Any])?["source"] as? String == "template_answer")

            // An answer without a reply_body: the event only. Other texts: no event.
            let received = simulator.inbox(of: phone).count
            #expect(try await simulator.reply(from: phone, to: API.sender, body: "NEW   TIME!").status == 200)
            #expect(try await eventually { receiver.data(of: "reply.matched").count == 2 })
            #expect(receiver.data(of: "reply.matched").last?["outcome"] as? String == "reschedule")
            #expect(try await Self.waitingSince(conversation, application) == nil, "acted on: nobody must answer it")
            let question = try await simulator.reply(from: phone, to: API.sender, body: "c is fine but can we talk?")
            #expect(question.status == 200)
            #expect(try await Self.waitingSince(conversation, application) != nil, "an ordinary message waits")
            let stop = try await simulator.reply(from: phone, to: API.sender, body: "STOP")
            #expect(String(decoding: stop.body, as: UTF8.self).contains("unsubscribed"))
            _ = try await simulator.reply(from: phone, to: API.sender, body: "C")
            #expect(
                try await eventually { try await Self.agentEvents(conversation, application).count == 3 },
                "C after STOP still matches")
            // The business webhook leaves through the outbox, after the reply is acknowledged.
            #expect(try await eventually { receiver.data(of: "reply.matched").count == 3 })
            try await Task.sleep(for: .milliseconds(500))
            #expect(
                simulator.inbox(of: phone).count == received + 1,
                "only the STOP confirmation: no reply_body to a number that sent STOP")
        }
    }

    @Test func aYesConfirmsAPendingOptInBeforeItCanBeAnAnswer() async throws {
        let phone = "+14155550312"
        try await Self.withApp(optedIn: [phone]) { application, client, simulator, receiver in
            let outbound = try await ProgramKeywords.remind(phone, client, simulator)
            let conversation = try #require(outbound["conversation_id"] as? String)
            #expect(try await ProgramKeywords.text("DEALS", from: phone, simulator)?.contains("reply YES") == true)

            let subscribed = try await ProgramKeywords.text("yes", from: phone, simulator)
            #expect(subscribed?.hasPrefix("Acme Dental: you're subscribed (offers).") == true)
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.data(of: "reply.matched").isEmpty)
            #expect(try await Self.agentEvents(conversation, application).isEmpty)

            _ = try await simulator.reply(from: phone, to: API.sender, body: "Yes")
            #expect(try await eventually { receiver.data(of: "reply.matched").count == 1 })
            #expect(try await eventually { simulator.inbox(of: phone).last?.body.hasPrefix("Thanks") == true })
        }
    }

    @Test func anAnswerAfterSeventyTwoHoursIsAnOrdinaryMessage() async throws {
        let phone = "+14155550313"
        try await Self.withApp(optedIn: [phone]) { application, client, simulator, receiver in
            let outbound = try await ProgramKeywords.remind(phone, client, simulator)
            let conversation = try #require(outbound["conversation_id"] as? String)
            // The clock moved: the text left 72 hours and a minute ago.
            let id = try #require(outbound["id"] as? String)
            try await application.database.write { connection in
                try connection.execute(
                    "UPDATE outbound SET send_at = send_at - ? WHERE id = ?",
                    [.integer(72 * 3_600_000 + 60_000), .text(id)])
            }
            _ = try await simulator.reply(from: phone, to: API.sender, body: "C")
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.data(of: "reply.matched").isEmpty)
            #expect(try await Self.agentEvents(conversation, application).isEmpty)
            #expect(simulator.inbox(of: phone).last?.body.hasPrefix("Thanks") == false)
        }
    }

    @Test func anUnmatchedReplyNobodyAnswersGoesToTheFallbackQueue() async throws {
        let (asked, answered) = ("+14155550314", "+14155550315")
        try await ProgramKeywords.withApp({ $0.answerSLA = .milliseconds(300) }) { _, client, simulator in
            try await ProgramKeywords.approveReminder(client)
            try await ProgramKeywords.optIn([asked, answered], client)
            let question = try await ProgramKeywords.remind(asked, client, simulator)
            let answer = try await ProgramKeywords.remind(answered, client, simulator)
            func conversation(_ outbound: [String: Any]) async throws -> [String: Any] {
                let id = try #require(outbound["conversation_id"] as? String)
                return try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
            }
            #expect(try await simulator.reply(from: asked, to: API.sender, body: "Can I bring my dog?").status == 200)
            #expect(try await simulator.reply(from: answered, to: API.sender, body: "R").status == 200)
            #expect(
                try await eventually(seconds: 5) {
                    let escalated = try await conversation(question)
                    return escalated["queue"] as? String == "front_desk"
                        && escalated["escalation_reason"] as? String == "no_answer"
                })
            try await Task.sleep(for: .milliseconds(600))
            let acted = try await conversation(answer)
            #expect(acted["state"] as? String == "open", "a matched answer was acted on: \(acted)")
        }
    }
}
