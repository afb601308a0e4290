import Foundation
import Gateway
import HTTPServer
import HTTPValues
import HandoffCore
import Storage
import Synchronization
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// The optional external classifier (`classifier_url`): asked after the commit, never in the reply
/// path; its answer can re-route; timeouts and errors fall back to the rules and are counted.
@Suite struct IntentClassifierTests {
    static let secret = "classifier-secret-for-tests"

    /// A stand-in classifier on loopback: answers every request after `delay` with `status` and
    /// `answer`, and keeps what it was sent.
    final class StandIn: Sendable {
        struct Received: Sendable {
            var body: [UInt8]
            var signature: String?
        }

        private final class Inbox: Sendable {
            let received = Mutex<[Received]>([])
        }

        private let inbox = Inbox()
        private let server: HTTPServer

        init(answer: String, status: HTTPStatus = .ok, delay: Duration = .zero) throws {
            var router = Router()
            router.post("/classify") { [inbox] request in
                inbox.received.withLock {
                    $0.append(Received(body: request.body, signature: request.headers["X-Handoff-Signature"]))
                }
                try await Task.sleep(for: delay)
                return HTTPResponse(status: status, contentType: "application/json", body: Array(answer.utf8))
            }
            server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
            try server.start()
        }

        var requests: [Received] { inbox.received.withLock { $0 } }
        var url: String { "http://127.0.0.1:\(server.port)/classify" }

        /// Points the application's classifier here.
        func configure(timeout: Duration = .milliseconds(800)) -> (inout Configuration) -> Void {
            { [url] configuration in
                configuration.classifierURL = url
                configuration.classifierSecret = IntentClassifierTests.secret
                configuration.classifierTimeout = timeout
            }
        }

        func stop() {
            let server = server
            Task { await server.shutdown(gracePeriod: .zero) }
        }
    }

    static func say(_ body: String, _ client: HTTPTestClient) async throws -> (id: String, message: [String: Any]) {
        let (cookie, session) = try await API.startSession(client)
        let posted = try await client.request(
            "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
        #expect(posted.status == 201)
        return (
            try #require(session["conversation_id"] as? String), try #require(posted.json?["message"] as? [String: Any])
        )
    }

    static func metric(_ result: String, _ client: HTTPTestClient) async throws -> Bool {
        try await client.request("GET", "/metrics").body.contains(
            #"handoff_classifier_requests_total{result="\#(result)"} 1"#)
    }

    /// The classifier's intent re-routes the message after the reply went out: signed request,
    /// stored intent with source and confidence, the intent's action done.
    @Test func theClassifiersAnswerReroutesAfterTheReply() async throws {
        let classifier = try StandIn(
            answer: #"{"intent":"billing","confidence":0.91}"#, delay: .milliseconds(200))
        defer { classifier.stop() }
        try await TestApplication.inProcess(classifier.configure()) { _, client, _ in
            let (id, message) = try await Self.say("A question about my account", client)
            #expect(message["intent"] is NSNull, "the reply does not wait for the classifier")
            #expect(
                try await eventually {
                    try await StoredIntentTests.conversation(id, client)["state"] as? String == "escalated"
                })
            let conversation = try await StoredIntentTests.conversation(id, client)
            #expect(conversation["escalation_reason"] as? String == "billing")
            let stored = try #require(
                try await StoredIntentTests.messages(id, client).first { $0["author"] as? String == "visitor" })
            let intent = try #require(stored["intent"] as? [String: Any])
            #expect(intent["name"] as? String == "billing" && intent["source"] as? String == "classifier")
            #expect(intent["confidence"] as? Double == 0.91)
            #expect((conversation["last_intent"] as? [String: Any])?["source"] as? String == "classifier")
            #expect(try await eventually { try await Self.metric("reclassified", client) }, "counted once written")

            let request = try #require(classifier.requests.first)
            let signature = try #require(request.signature)
            let timestamp = try #require(Int(signature.dropFirst(2).prefix { $0 != "," }))
            #expect(signature == EventWebhooks.signature(body: request.body, secret: Self.secret, timestamp: timestamp))
            let sent = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            #expect((sent["message"] as? [String: Any])?["body"] as? String == "A question about my account")
            #expect((sent["intents"] as? [String])?.contains("billing") == true && sent["rules_intent"] is NSNull)
        }
    }

    /// The re-routed message is announced as it now is: a `message_updated` event (streams) and a
    /// `message.updated` webhook carry the classifier's intent where `message` and
    /// `message.created` carried the rules' (none here), and a `conversation` event the new last
    /// intent, before the escalation's.
    @Test func aRerouteIsAnnouncedToStreamsAndTheBusiness() async throws {
        let classifier = try StandIn(answer: #"{"intent":"billing","confidence":0.91}"#)
        defer { classifier.stop() }
        let configure = classifier.configure()
        try await TestApplication.inProcess({
            configure(&$0)
            $0.eventWebhookURL = "http://127.0.0.1:9/events"  // refused: the webhooks wait in the outbox
            $0.eventWebhookSecret = "webhook-secret-0123456789"
        }) { application, client, _ in
            let (id, message) = try await Self.say("A question about my account", client)
            let messageID = try #require(message["id"] as? String)
            #expect(try await eventually { try await Self.metric("reclassified", client) })
            let (events, webhooks) = try await application.database.read { connection in
                (
                    try connection.query(
                        "SELECT type, payload FROM conversation_events WHERE conversation_id = ? ORDER BY seq",
                        [.text(id)]
                    ).map { (try $0.get("type", as: String.self), try $0.get("payload", as: String.self)) },
                    try connection.query("SELECT payload FROM outbox WHERE kind = 'webhook' ORDER BY id", []).map {
                        try $0.get("payload", as: String.self)
                    }
                )
            }
            func json(_ text: String) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            }
            func intent(_ message: [String: Any]?) -> String? {
                (message?["intent"] as? [String: Any]).map { "\($0["name"] ?? "-")/\($0["source"] ?? "-")" }
            }
            let types = events.map(\.0)
            let updatedAt = try #require(types.firstIndex(of: "message_updated"), "\(types)")
            let updated = try json(events[updatedAt].1)
            #expect(updated["id"] as? String == messageID && intent(updated) == "billing/classifier")
            #expect(updated["body"] as? String == "A question about my account")
            let created = try json(try #require(events.first { $0.0 == "message" }).1)
            #expect(created["id"] as? String == messageID && created["intent"] is NSNull)
            let changes = try events[updatedAt...].filter { $0.0 == "conversation" }.map { try json($0.1) }
            #expect(changes.first.map { intent(["intent": $0["last_intent"] as Any]) } == "billing/classifier")
            #expect(changes.last?["state"] as? String == "escalated")

            let business = try webhooks.map(json).filter {
                ($0["data"] as? [String: Any])?["id"] as? String == messageID
            }
            #expect(business.map { $0["type"] as? String } == ["message.created", "message.updated"])
            #expect((business.first?["data"] as? [String: Any])?["intent"] is NSNull)
            #expect(intent(business.last?["data"] as? [String: Any]) == "billing/classifier")
        }
    }

    /// An answer that agrees with the rules or names no intent of the catalog changes nothing.
    @Test func anUnknownIntentLeavesTheRules() async throws {
        let classifier = try StandIn(answer: #"{"intent":"astrology","confidence":0.5}"#)
        defer { classifier.stop() }
        try await TestApplication.inProcess(classifier.configure()) { _, client, _ in
            let (id, _) = try await Self.say("How much is shipping", client)
            #expect(try await eventually { try await Self.metric("unknown_intent", client) })
            let last = try await StoredIntentTests.conversation(id, client)["last_intent"] as? [String: String]
            #expect(last == ["name": "pricing", "source": "rules"])
        }
    }

    /// A classifier slower than the timeout, or failing, leaves the rules' intent; both are counted.
    @Test(arguments: ["timeout", "error"])
    func aTimeoutOrAnErrorFallsBackToTheRules(result: String) async throws {
        let classifier =
            result == "timeout"
            ? try StandIn(answer: #"{"intent":"billing"}"#, delay: .seconds(2))
            : try StandIn(answer: "oops", status: .internalServerError)
        defer { classifier.stop() }
        try await TestApplication.inProcess(classifier.configure(timeout: .milliseconds(200))) { _, client, _ in
            let (id, _) = try await Self.say("How much is shipping", client)
            #expect(try await eventually { try await Self.metric(result, client) })
            let conversation = try await StoredIntentTests.conversation(id, client)
            #expect(conversation["state"] as? String == "open")
            #expect(conversation["last_intent"] as? [String: String] == ["name": "pricing", "source": "rules"])
        }
    }

    /// A message that finds the most requests already in flight keeps the rules' result at once
    /// (counted `busy`); once they are answered, the next is asked again.
    @Test func aSlowClassifierNeverPilesUpRequests() async throws {
        let standIn = try StandIn(answer: #"{"intent":"billing"}"#, delay: .milliseconds(300))
        defer { standIn.stop() }
        try await Backend.sqlite.withDatabase { database in
            let counters = ServiceCounters()
            let classifier = IntentClassifier(
                settings: IntentClassifier.Settings(url: standIn.url, secret: Self.secret, timeout: .seconds(5)),
                client: HTTPClient(),
                timeline: Timeline(database: database, events: nil, webhooks: EventWebhooks(isEnabled: false)) { _ in },
                counters: counters, maxInFlight: 1)
            let routing = Routing(holdingText: "A person will answer.", brand: "Acme", classifier: classifier)
            let message = MessageRecord(
                id: "msg_1", conversationID: "conv_1", direction: .inbound, channel: .web, author: .visitor,
                body: "About my account", status: "delivered", createdAt: 0, updatedAt: 0)
            let counted = { (result: String, count: Int) in
                counters.render().contains(#"handoff_classifier_requests_total{result="\#(result)"} \#(count)"#)
            }
            classifier.classifyLater(message, intents: [], routing: routing)
            classifier.classifyLater(message, intents: [], routing: routing)
            #expect(counted("busy", 1), "the second did not wait")
            let firstAnswered = try await eventually { counted("reclassified", 1) }
            #expect(firstAnswered)
            classifier.classifyLater(message, intents: [], routing: routing)
            let nextAnswered = try await eventually { counted("reclassified", 2) }
            #expect(nextAnswered, "the answered request freed its place")
            #expect(standIn.requests.count == 2)
        }
    }

    @Test func aClassifierURLNeedsItsSecret() {
        #expect {
            try ConfigurationLoader(environment: ["HANDOFF_CLASSIFIER_URL": "http://127.0.0.1:9/classify"]).load(
                configPath: nil)
        } throws: { error in
            (error as? HandoffServiceError)?.message.contains("HANDOFF_CLASSIFIER_SECRET") == true
        }
    }
}

/// The classifier's re-routing writes (the message's intent, the conversation's last, the
/// escalation) on PostgreSQL: the same queries as on SQLite.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct IntentClassifierOnPostgresTests {
    @Test func theClassifiersAnswerReroutesOnPostgres() async throws {
        let classifier = try IntentClassifierTests.StandIn(answer: #"{"intent":"refunds","confidence":0.8}"#)
        defer { classifier.stop() }
        try await ScratchDatabase.with { scratch in
            let configure = classifier.configure()
            try await TestApplication.inProcess({
                configure(&$0)
                $0.databasePath = scratch.uri
            }) { _, client, _ in
                let (id, _) = try await IntentClassifierTests.say("About my last order", client)
                #expect(
                    try await eventually {
                        try await StoredIntentTests.conversation(id, client)["state"] as? String == "escalated"
                    })
                let last = try await StoredIntentTests.conversation(id, client)["last_intent"] as? [String: Any]
                #expect(last?["name"] as? String == "refunds" && last?["confidence"] as? Double == 0.8)
                #expect(try await StoredIntentTests.listed("intent=refunds", client) == [id])
            }
        }
    }
}
