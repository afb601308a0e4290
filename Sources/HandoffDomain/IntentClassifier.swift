import Foundation
package import Gateway
import HandoffCore
import Storage
import Synchronization

/// The optional external classifier (`classifier_url`): once the transaction that stored and
/// routed a customer's message committed, the message is POSTed there, signed as business events
/// are (`X-Handoff-Signature`), in a task of its own (never in a webhook's or request's reply
/// path). An answer `{intent, confidence}` naming another intent of the catalog than the rules'
/// becomes the message's intent (source `classifier`) and runs that intent's action; a timeout, an
/// error or an intent the catalog does not have leaves the rules' result, and so does a message
/// that finds `maxInFlight` requests already waiting (a slow classifier never piles up tasks).
/// Each outcome is counted (`handoff_classifier_requests_total`).
package final class IntentClassifier: Sendable {
    /// Where and how to ask.
    package struct Settings: Sendable {
        package var url: String
        package var secret: String
        package var timeout: Duration

        package init(url: String, secret: String, timeout: Duration) {
            self.url = url
            self.secret = secret
            self.timeout = timeout
        }
    }

    private let settings: Settings
    private let client: HTTPClient
    private let timeline: Timeline
    private let counters: ServiceCounters
    private let now: @Sendable () -> Int64
    /// Requests at once at most; past it a message keeps the rules' result (`busy`).
    private let maxInFlight: Int
    private let inFlight = Atomic<Int>(0)

    package init(
        settings: Settings, client: HTTPClient, timeline: Timeline, counters: ServiceCounters,
        maxInFlight: Int = 64, now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.maxInFlight = maxInFlight
        self.settings = settings
        self.client = client
        self.timeline = timeline
        self.counters = counters
        self.now = now
    }

    /// What is POSTed.
    struct Request: Encodable {
        struct Message: Encodable {
            var id: String
            var conversationID: String
            var body: String
            var channel: String

            enum CodingKeys: String, CodingKey {
                case id, body, channel
                case conversationID = "conversation_id"
            }
        }

        var message: Message
        /// The catalog's intent names, in priority order: the answers that act.
        var intents: [String]
        /// What the phrase rules said (null: nothing matched).
        var rulesIntent: String?

        enum CodingKeys: String, CodingKey {
            case message, intents
            case rulesIntent = "rules_intent"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(intents, forKey: .intents)
            try container.encode(rulesIntent, forKey: .rulesIntent)
        }
    }

    /// What the classifier answers.
    struct Answer: Decodable {
        var intent: String
        var confidence: Double?
    }

    /// Asks about `message` (just committed, routed by `routing` with the rules' `intents`) in a
    /// task of its own.
    func classifyLater(_ message: MessageRecord, intents: [Intent], routing: Routing) {
        guard inFlight.add(1, ordering: .relaxed).newValue <= maxInFlight else {
            inFlight.subtract(1, ordering: .relaxed)
            counters.increment("handoff_classifier_requests_total", [("result", "busy")])
            return
        }
        Task {
            await classify(message, intents: intents, routing: routing)
            inFlight.subtract(1, ordering: .relaxed)
        }
    }

    /// Asks, and acts on the answer (see the type's comment).
    func classify(_ message: MessageRecord, intents: [Intent], routing: Routing) async {
        let catalog = routing.catalog
        let rulesIntent = intents.first?.name
        let answer: Answer
        do {
            answer = try await ask(
                Request(
                    message: Request.Message(
                        id: message.id, conversationID: message.conversationID, body: message.body,
                        channel: message.channel.rawValue),
                    intents: catalog.intents.map(\.name), rulesIntent: rulesIntent))
        } catch let error as GatewayError where error.kind == .timeout {
            counters.increment("handoff_classifier_requests_total", [("result", "timeout")])
            return
        } catch {
            counters.increment("handoff_classifier_requests_total", [("result", "error")])
            return
        }
        guard let intent = catalog.intent(named: answer.intent) else {
            counters.increment("handoff_classifier_requests_total", [("result", "unknown_intent")])
            return
        }
        guard intent.name != rulesIntent else {
            counters.increment("handoff_classifier_requests_total", [("result", "agreed")])
            return
        }
        let stored = MessageIntent(name: intent.name, source: .classifier, confidence: answer.confidence)
        let now = now()
        do {
            try await timeline.write { timeline in
                try routing.reclassify(messageID: message.id, as: stored, intent: intent, timeline: timeline, now: now)
            }
            counters.increment("handoff_classifier_requests_total", [("result", "reclassified")])
        } catch {
            counters.increment("handoff_classifier_requests_total", [("result", "error")])
        }
    }

    /// POSTs `request`, signed; the answer, or the transport's error, or `invalidResponse` for a
    /// non-2xx status or an answer that is not `{intent, confidence?}` (confidence from 0 to 1).
    private func ask(_ request: Request) async throws -> Answer {
        let body = Array(try JSONPayload.string(request).utf8)
        let signature = EventWebhooks.signature(
            body: body, secret: settings.secret, timestamp: Int(Date().timeIntervalSince1970))
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("X-Handoff-Signature", signature),
        ]
        if let requestID = RequestOrigin.requestID { headers.append(("X-Request-Id", requestID)) }
        let response = try await client.send(
            HTTPClientRequest(
                method: "POST", url: settings.url, headers: headers, body: body, timeout: settings.timeout))
        guard (200..<300).contains(response.status),
            let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)),
            answer.confidence.map({ (0...1).contains($0) }) ?? true
        else {
            throw GatewayError(
                .invalidResponse, code: "classifier_answer", message: "Not an {intent, confidence} answer.")
        }
        return answer
    }
}
