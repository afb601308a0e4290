import DatabaseDriver
import Foundation
import GatewaySimulator
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Intents that act (API.md "Intents, queues, agents"): each intent of the catalog answers with a
/// template, routes to a queue, escalates to a queue or does nothing, in the transaction that
/// stores the message; phrases classify by the contact's language; `intents:` is configuration.
@Suite struct IntentActionTests {
    static let adminKey = "admin-key-for-intent-tests"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]
    static let queuesYAML = """
        queues:
          - name: sales
            first_response_sla: 90s
          - name: accounts
            first_response_sla: 10m
        """
    static let intentsYAML = """
        intents:
          - name: pricing
            phrases: { en: ["how much", "price", "cost"], es: ["cuánto cuesta", "precio"] }
            action: { template: price_list }
          - name: billing
            action: { escalate: accounts }
          - name: opening_hours
            phrases: { en: ["opening hours"], es: ["horario"] }
            action: { queue: sales }
        """

    /// Settings as the config file gives them (the loader's checks included).
    static func load(_ yaml: String) throws -> Configuration {
        try ConfigurationLoader(environment: [:]).load(
            fileValues: try ConfigurationLoader.parseFile(yaml, path: "handoff.yaml"), filePath: "handoff.yaml"
        ).configuration
    }

    /// The application's settings with `yaml`'s queues and intents and the admin key.
    static func configure(_ yaml: String) -> (inout Configuration) -> Void {
        { configuration in
            let loaded = try! load(yaml)
            configuration.queues = loaded.queues
            configuration.intents = loaded.intents
            configuration.adminAPIKeys = [adminKey]
            configuration.brandName = "Acme"
        }
    }

    static func conversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
    }

    /// A widget session whose contact has `locale`: its cookie and conversation id.
    static func session(locale: String, _ client: HTTPTestClient) async throws -> (String, String) {
        let response = try await client.request(
            "POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: #"{"locale":"\#(locale)"}"#)
        let cookie = try #require(response.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        return (cookie, try #require(response.json?["conversation_id"] as? String))
    }

    static func listed(_ query: String, _ client: HTTPTestClient) async throws -> [String] {
        try await StoredIntentTests.listed(query, client)
    }

    static func say(_ body: String, _ cookie: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        let posted = try await client.request(
            "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
        #expect(posted.status == 201)
        return try #require(posted.json?["message"] as? [String: Any])
    }

    /// Creates and approves the `price_list` template of the chat program in `locale`.
    static func approvePriceList(_ locale: String, body: String, _ client: HTTPTestClient) async throws {
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: #"{"name":"price_list","program":"chat","locale":"\#(locale)","body":"\#(body)"}"#)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
        #expect(try await client.request("POST", "/v1/templates/\(id)/approve", headers: admin).status == 200)
    }

    static let englishPrices = "{{brand}}: our prices are at shop.example/prices"
    static let spanishPrices = "{{brand}}: nuestros precios están en shop.example/precios"

    /// `{queue: NAME}` puts the conversation in the queue with its SLA, once; the bot may still answer.
    @Test func aQueueActionRoutesWithTheQueuesSLA() async throws {
        try await TestApplication.inProcess(Self.configure(Self.queuesYAML + "\n" + Self.intentsYAML)) {
            application, client, _ in
            let (cookie, id) = try await Self.session(locale: "en-US", client)
            let before = Date()
            let message = try await Self.say("What are your opening hours?", cookie, client)
            #expect(message["intent"] as? [String: String] == ["name": "opening_hours", "source": "rules"])
            let routed = try await Self.conversation(id, client)
            #expect(routed["queue"] as? String == "sales" && routed["state"] as? String == "open")
            let due = try #require((routed["first_response_due_at"] as? String).flatMap(QueuesTests.date))
            #expect(abs(due.timeIntervalSince(before) - 90) < 5, "due within sales' 90 seconds")
            let announced = try await application.database.read { connection in
                try connection.query(
                    "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'conversation'",
                    [.text(id)]
                ).map { try $0.get("payload", as: String.self) }
            }
            #expect(announced.count == 1 && announced[0].contains(#""queue":"sales""#), "agents' streams see it")

            _ = try await Self.say("Opening hours on Sunday?", cookie, client)
            #expect(
                try await Self.conversation(id, client)["first_response_due_at"] as? String
                    == routed["first_response_due_at"] as? String, "already in the queue: the clock keeps running")
            let bot = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"We open at 9.","author":"bot"}"#)
            #expect(bot.status == 201, "routed, not escalated: the bot may answer")
        }
    }

    /// The shipped `pricing → sales` does nothing while `sales` is not configured, and routes once it is.
    @Test func aShippedQueueActionWaitsForItsQueue() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, id) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("How much is shipping", cookie, client)
            let conversation = try await Self.conversation(id, client)
            #expect(conversation["queue"] == nil && conversation["first_response_due_at"] is NSNull)
        }
        try await TestApplication.inProcess(Self.configure(Self.queuesYAML)) { _, client, _ in
            let (cookie, id) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("How much is shipping", cookie, client)
            #expect(try await Self.conversation(id, client)["queue"] as? String == "sales")
        }
    }

    /// `{escalate: QUEUE}` does what an escalation does, into that queue.
    @Test func anEscalateActionHandsTheConversationToItsQueue() async throws {
        try await TestApplication.inProcess(Self.configure(Self.queuesYAML + "\n" + Self.intentsYAML)) {
            _, client, _ in
            let (cookie, id) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("I was charged twice this month", cookie, client)
            let escalated = try await Self.conversation(id, client)
            #expect(escalated["state"] as? String == "escalated" && escalated["queue"] as? String == "accounts")
            #expect(escalated["escalation_reason"] as? String == "billing")
            #expect(escalated["first_response_due_at"] is String)
            let history = try await API.history(cookie, client)
            #expect(history.last?["author"] as? String == "system", "told a person will answer")
        }
    }

    /// `{template: NAME}`: the bot answers with the approved template in the contact's language,
    /// classified by that language's phrases; a template without an approved version answers nothing.
    @Test func aTemplateActionAnswersInTheContactsLanguage() async throws {
        try await TestApplication.inProcess(Self.configure(Self.queuesYAML + "\n" + Self.intentsYAML)) {
            _, client, _ in
            let (waitingCookie, waitingID) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("How much is it?", waitingCookie, client)
            #expect(try await API.history(waitingCookie, client).count == 1, "no approved template: no answer")
            #expect(try await Self.conversation(waitingID, client)["state"] as? String == "open")

            try await Self.approvePriceList("en", body: Self.englishPrices, client)
            try await Self.approvePriceList("es", body: Self.spanishPrices, client)
            let (english, _) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("How much is it?", english, client)
            let answered = try await API.history(english, client)
            #expect(answered.last?["author"] as? String == "bot")
            #expect(answered.last?["body"] as? String == "Acme: our prices are at shop.example/prices")

            let (spanish, spanishID) = try await Self.session(locale: "es-MX", client)
            let message = try await Self.say("¿Cuánto cuesta el envío?", spanish, client)
            #expect(message["intent"] as? [String: String] == ["name": "pricing", "source": "rules"])
            let spanishHistory = try await API.history(spanish, client)
            #expect(spanishHistory.last?["body"] as? String == "Acme: nuestros precios están en shop.example/precios")
            #expect(try await Self.conversation(spanishID, client)["state"] as? String == "open")

            let metrics = try await client.request("GET", "/metrics").body
            #expect(
                metrics.contains(
                    #"handoff_intent_actions_total{intent="pricing",action="template",result="unavailable"} 1"#))
            #expect(
                metrics.contains(#"handoff_intent_actions_total{intent="pricing",action="template",result="done"} 2"#))

            let (other, _) = try await Self.session(locale: "en-US", client)
            let unclassified = try await Self.say("¿Cuánto cuesta el envío?", other, client)
            #expect(unclassified["intent"] is NSNull, "Spanish phrases classify Spanish-speaking contacts only")
        }
    }

    /// By SMS the template answer is a text to the phone, in Spanish for a Spanish-speaking
    /// contact; a number that texted STOP gets nothing (the answer stays on the web).
    @Test func byTextTheTemplateAnswerIsTextedButNeverToAStoppedNumber() async throws {
        try await TestApplication.live(Self.configure(Self.queuesYAML + "\n" + Self.intentsYAML)) {
            _, client, simulator in
            try await Self.approvePriceList("en", body: Self.englishPrices, client)
            try await Self.approvePriceList("es", body: Self.spanishPrices, client)
            let phone = "+14155550391"
            let (cookie, _) = try await Self.spanishActiveSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Precio del envío?")
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body == "Acme: nuestros precios están en shop.example/precios"
                })

            _ = try await simulator.reply(from: phone, to: API.sender, body: "PARAR")
            #expect(try await eventually { simulator.inbox(of: phone).last?.body.contains("baja") == true })
            let texted = simulator.inbox(of: phone).count
            _ = try await simulator.reply(from: phone, to: API.sender, body: "precio?")
            #expect(
                try await eventually {
                    try await API.history(cookie, client).filter { $0["author"] as? String == "bot" }.count == 2
                }, "answered in the widget")
            try await Task.sleep(for: .milliseconds(300))
            #expect(simulator.inbox(of: phone).count == texted, "no text to a number that said STOP")
        }
    }

    /// Spanish phrases escalate a Spanish-speaking texter; the English ones escalate everyone.
    @Test func spanishPhrasesEscalateASpanishSpeakingTexter() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550392"
            let (_, id) = try await Self.spanishActiveSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Quiero hablar con una persona")
            let escalated = try await Self.conversation(id, client)
            #expect(escalated["state"] as? String == "escalated")
            #expect(escalated["escalation_reason"] as? String == "human_request")
            #expect(escalated["last_intent"] as? [String: String] == ["name": "human_request", "source": "rules"])
        }
    }

    /// SIGHUP's reload takes a new catalog: the next message acts on it.
    @Test func aReloadChangesTheActions() async throws {
        try await TestApplication.inProcess(Self.configure(Self.queuesYAML)) { application, client, _ in
            var changed = application.configuration
            changed.intents = try Self.load(Self.queuesYAML + "\n" + Self.intentsYAML).intents
            #expect(!application.reload(changed).contains("intents"), "applied without a restart")
            let (cookie, id) = try await Self.session(locale: "en-US", client)
            _ = try await Self.say("Question about my invoice", cookie, client)
            #expect(try await Self.conversation(id, client)["queue"] as? String == "accounts")
        }
    }

    /// `handoff check-config` (the loader) refuses what cannot work, naming the setting and why.
    @Test(arguments: [
        ("intents:\n  - name: pricing\n    action: { call: sales }\n", "unknown action \"call\""),
        ("intents:\n  - name: pricing\n    action: maybe\n", "unknown action \"maybe\""),
        ("intents:\n  - name: pricing\n    action: { queue: nowhere }\n", "queue \"nowhere\", which is not configured"),
        ("intents:\n  - name: billing\n    action: { escalate: accounts }\n", "queue \"accounts\""),
        ("intents:\n  - name: pricing\n    phrases: { fr: [\"prix\"] }\n", "unknown locale \"fr\""),
        ("intents:\n  - name: pricing\n  - name: pricing\n", "configured twice"),
    ])
    func checkConfigRefusesABadIntent(yaml: String, said: String) {
        #expect {
            try Self.load(yaml)
        } throws: { error in
            let message = (error as? HandoffServiceError)?.message ?? ""
            return message.contains("HANDOFF_INTENTS") && message.contains(said)
        }
    }

    /// API.md's example loads; check-config shows a shipped action naming an unconfigured queue idle.
    @Test func theContractsExampleLoadsAndIdleDefaultsAreShown() throws {
        let example = """
            queues:
              - name: sales
                first_response_sla: 2m
            intents:
              - name: pricing
                phrases: { en: ["how much", "price", "cost"], es: ["cuánto cuesta", "precio"] }
                action: { queue: sales }
            """
        let loaded = try ConfigurationLoader(environment: [:]).load(
            fileValues: try ConfigurationLoader.parseFile(example, path: "h.yaml"), filePath: "h.yaml")
        #expect(loaded.configuration.intents.intent(named: "pricing")?.phrases["es"] == ["cuánto cuesta", "precio"])
        let shown = try #require(loaded.describe().first { $0.hasPrefix("HANDOFF_INTENTS=") })
        #expect(shown.contains("support:{queue: support} (idle: no such queue)"), "check-config shows it idle")
        #expect(shown.contains("pricing:{queue: sales}[") && shown.contains("es=cuánto cuesta|precio"))
        let fromEnvironment = try ConfigurationLoader(
            environment: ["HANDOFF_INTENTS": #"[{"name":"support","action":"none"}]"#]
        ).load(configPath: nil)
        #expect(fromEnvironment.configuration.intents.intent(named: "support")?.action == IntentAction.none)
    }

    /// A verified session whose contact speaks Spanish.
    static func spanishActiveSession(
        _ phone: String, _ client: HTTPTestClient, _ simulator: GatewaySimulator
    ) async throws -> (cookie: String, conversationID: String) {
        let (cookie, id) = try await session(locale: "es-MX", client)
        _ = try await client.request(
            "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"\#(phone)","consent":true}"#)
        let code = try await API.code(simulator, phone)
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
        #expect(verified.status == 200)
        #expect(try await eventually { simulator.inbox(of: phone).count >= 2 }, "the confirmation arrived")
        return (try API.rotatedCookie(verified), id)
    }
}

/// The actions' storage (the template looked up, the conversation queued or escalated, the
/// answer written) on PostgreSQL: the same queries as on SQLite.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct IntentActionsOnPostgresTests {
    @Test func everyActionKindRunsOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            let configure = IntentActionTests.configure(
                IntentActionTests.queuesYAML + "\n" + IntentActionTests.intentsYAML)
            try await TestApplication.inProcess({
                configure(&$0)
                $0.databasePath = scratch.uri
            }) { _, client, _ in
                try await IntentActionTests.approvePriceList("es", body: IntentActionTests.spanishPrices, client)
                let (spanish, _) = try await IntentActionTests.session(locale: "es", client)
                _ = try await IntentActionTests.say("¿Cuánto cuesta?", spanish, client)
                #expect(
                    try await API.history(spanish, client).last?["body"] as? String
                        == "Acme: nuestros precios están en shop.example/precios")

                let (cookie, id) = try await IntentActionTests.session(locale: "es", client)
                _ = try await IntentActionTests.say("¿Cuál es el horario?", cookie, client)
                let routed = try await IntentActionTests.conversation(id, client)
                #expect(routed["queue"] as? String == "sales" && routed["first_response_due_at"] is String)
                _ = try await IntentActionTests.say("Me cobraron dos veces", cookie, client)
                let escalated = try await IntentActionTests.conversation(id, client)
                #expect(escalated["state"] as? String == "escalated" && escalated["queue"] as? String == "accounts")
                #expect(try await IntentActionTests.listed("intent=billing", client) == [id])
            }
        }
    }
}
