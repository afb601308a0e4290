import Crypto
import Foundation
import HTTPServer
import HandoffService
import Synchronization
import TestSupport
import Testing

/// Business event webhooks, end to end: a change through the API, a signed POST to a receiver.
@Suite struct EventWebhookTests {
    struct Received: Sendable {
        var body: [UInt8]
        var signature: String?
        var requestID: String?
    }

    @Test func deliversSignedEventsAfterRetrying() async throws {
        let received = Mutex<[Received]>([])
        let failuresLeft = Atomic<Int>(1)
        var router = Router()
        router.post("/hooks") { request in
            if failuresLeft.subtract(1, ordering: .relaxed).oldValue > 0 {
                throw HTTPError(.serviceUnavailable, code: "busy", message: "later", headers: [("Retry-After", "0")])
            }
            received.withLock {
                $0.append(
                    Received(
                        body: request.body, signature: request.headers["X-Handoff-Signature"],
                        requestID: request.headers["X-Request-Id"]))
            }
            return HTTPResponse(status: .noContent)
        }
        let receiver = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try receiver.start()
        defer { Task { await receiver.shutdown(gracePeriod: .zero) } }
        let secret = "whsec-test-secret"
        try await TestApplication.inProcess({
            $0.eventWebhookURL = "http://127.0.0.1:\(receiver.port)/hooks"
            $0.eventWebhookSecret = secret
        }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let posted = try await client.request(
                "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", "application/json")],
                body: #"{"body":"Where is my parcel?"}"#)
            var delivered: [Received] = []
            for _ in 0..<500 where delivered.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                delivered = received.withLock { $0 }
            }
            // The first attempt got 503: the retry comes after the backoff (1-2 s).
            for _ in 0..<400 where delivered.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                delivered = received.withLock { $0 }
            }
            let event = try #require(delivered.first)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any])
            #expect(json["type"] as? String == "message.created")
            #expect((json["data"] as? [String: Any])?["body"] as? String == "Where is my parcel?")
            let signature = try #require(event.signature)
            let parts = Dictionary(
                uniqueKeysWithValues: signature.split(separator: ",").map {
                    let pair = $0.split(separator: "=", maxSplits: 1)
                    return (String(pair[0]), String(pair[1]))
                })
            let timestamp = try #require(parts["t"])
            let expected = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + event.body, using: SymmetricKey(data: Data(secret.utf8)))
            #expect(parts["v1"] == expected.map { String(format: "%02x", $0) }.joined())
            #expect(
                event.requestID != nil && event.requestID == posted.header("X-Request-Id"), "traceable to its request")
            #expect(abs((Int(timestamp) ?? 0) - Int(Date().timeIntervalSince1970)) < 60)
        }
    }
}

extension EventWebhookTests {
    @Test func escalateAndCloseCarryTheNewUpdatedAt() async throws {
        let received = Mutex<[[UInt8]]>([])
        var router = Router()
        router.post("/hooks") { request in
            received.withLock { $0.append(request.body) }
            return HTTPResponse(status: .noContent)
        }
        let receiver = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try receiver.start()
        defer { Task { await receiver.shutdown(gracePeriod: .zero) } }
        try await TestApplication.inProcess({
            $0.eventWebhookURL = "http://127.0.0.1:\(receiver.port)/hooks"
            $0.eventWebhookSecret = "whsec-test-secret"
        }) { _, client, _ in
            let (_, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            try await Task.sleep(for: .milliseconds(5))
            let escalated = try #require(
                try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/escalate", headers: auth, body: #"{"queue":"billing"}"#
                ).json?["conversation"] as? [String: Any])
            try await Task.sleep(for: .milliseconds(5))
            let closed = try #require(
                try await client.request("POST", "/v1/conversations/\(conversationID)/close", headers: auth)
                    .json?["conversation"] as? [String: Any])
            var events: [String: [String: Any]] = [:]
            for _ in 0..<500 where events.count < 2 {
                try await Task.sleep(for: .milliseconds(10))
                for body in received.withLock({ $0 }) {
                    let event = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
                    if let event, let type = event["type"] as? String, type.hasPrefix("conversation.") {
                        events[type] = event
                    }
                }
            }
            let escalatedEvent = try #require(events["conversation.escalated"])
            let closedEvent = try #require(events["conversation.closed"])
            let escalatedAt = try #require(escalated["updated_at"] as? String)
            #expect(escalatedAt != escalated["created_at"] as? String, "escalating is a change")
            #expect(escalatedAt == escalatedEvent["created_at"] as? String)
            #expect((escalatedEvent["data"] as? [String: Any])?["updated_at"] as? String == escalatedAt)
            let closedAt = try #require(closed["updated_at"] as? String)
            #expect(closedAt == closed["closed_at"] as? String)
            #expect(closedAt != escalatedAt)
            #expect((closedEvent["data"] as? [String: Any])?["updated_at"] as? String == closedAt)
        }
    }
}
