import Crypto
import DatabaseDriver
import Foundation
package import Gateway
import HandoffCore
package import Storage

/// Business events (`message.created`, `conversation.escalated`, ...) for the business's own
/// systems: written to the outbox in the same transaction as the change they describe, then
/// POSTed as signed JSON by the dispatcher.
package struct EventWebhooks: Sendable {
    /// Whether events are recorded at all (an event webhook URL is configured).
    let isEnabled: Bool

    package init(isEnabled: Bool) {
        self.isEnabled = isEnabled
    }

    /// One event as POSTed: `{id, type, created_at, data}`.
    package struct Envelope<Data: Encodable>: Encodable {
        var id: String
        var type: String
        var createdAt: String
        var data: Data

        enum CodingKeys: String, CodingKey {
            case id, type, data
            case createdAt = "created_at"
        }
    }

    /// What the outbox row of an event carries (`TimelineWriter.recordWebhook` queues it); nil
    /// when events are not recorded.
    func payload<Data: Encodable>(_ type: String, _ data: Data, now: Int64) throws -> String? {
        guard isEnabled else { return nil }
        let envelope = Envelope(
            id: Identifiers.make("evt"), type: type, createdAt: Timestamp(unixMilliseconds: now).description, data: data
        )
        return try JSONPayload.string(envelope)
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
    static func signature(body: [UInt8], secret: String, timestamp: Int) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        var signed = Array("\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: key)
        return "t=\(timestamp),v1=" + mac.hexString
    }
}

/// Delivers `webhook` outbox rows to HANDOFF_EVENT_WEBHOOK_URL.
package struct EventWebhookHandler: OutboxDispatcher.Handler {
    let url: String
    let secret: String?
    let client: HTTPClient

    package init(url: String, secret: String?, client: HTTPClient) {
        self.url = url
        self.secret = secret
        self.client = client
    }

    package func deliver(_ item: inout OutboxItem) async -> OutboxDispatcher.Outcome {
        let body = Array(item.payload.utf8)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("X-Handoff-Delivery", "\(item.id)"),
        ]
        if let requestID = item.requestID { headers.append(("X-Request-Id", requestID)) }
        if let secret {
            let timestamp = Int(Date().timeIntervalSince1970)
            headers.append(
                ("X-Handoff-Signature", EventWebhooks.signature(body: body, secret: secret, timestamp: timestamp)))
        }
        do {
            let response = try await client.send(
                HTTPClientRequest(method: "POST", url: url, headers: headers, body: body))
            if (200..<300).contains(response.status) { return .delivered }
            let retryAfter = response.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
            return .retry("HTTP \(response.status)", retryAfter: retryAfter)
        } catch {
            return error.isRetryable ? .retry(error.code, retryAfter: nil) : .failed(error.code)
        }
    }
}
