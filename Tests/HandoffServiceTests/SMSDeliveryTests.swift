import DatabaseDriver
import Foundation
import Gateway
import GatewaySimulator
import HTTPServer
import HTTPValues
import HandoffCore
import Logging
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Outbound SMS end to end: outbox → dispatcher → Twilio adapter → simulator (over libcurl) →
/// signed delivery reports back to our webhook.
@Suite struct SMSDeliveryTests {
    /// Queues SMS to `phone` in a fresh conversation; returns the message ids.
    static func queue(
        _ bodies: [String], to phone: String, in application: HandoffApplication, client: HTTPTestClient
    ) async throws -> [String] {
        let (_, session) = try await API.startSession(client)
        let conversationID = try #require(session["conversation_id"] as? String)
        let timeline = Timeline(
            database: application.database, events: nil, webhooks: EventWebhooks(isEnabled: false)
        ) { _ in application.outboxChanged() }
        return try await timeline.write { timeline in
            try bodies.map { body in
                try SMSService.enqueue(
                    conversationID: conversationID, to: phone, body: body, author: .agent, priority: 0,
                    timeline: timeline, now: ChatService.currentMilliseconds()
                ).id
            }
        }
    }

    static func status(_ id: String, _ application: HandoffApplication) async throws -> String? {
        try await application.database.read { try ChatRepository($0).message(id: id)?.status }
    }

    @Test func sendsAndFollowsDeliveryReports() async throws {
        try await TestApplication.live { application, client, simulator in
            let ids = try await Self.queue(
                ["Your order shipped 📦"], to: "+14155552671", in: application, client: client)
            #expect(try await eventually { try await Self.status(ids[0], application) == "delivered" })
            let inbox = simulator.inbox(of: "+14155552671")
            #expect(inbox.map(\.body) == ["Your order shipped 📦"])
            let message = try await application.database.read { try ChatRepository($0).message(id: ids[0]) }
            #expect(message?.providerMessageID == inbox.first?.sid)
            #expect(message?.segments == 1)
            let events = try await application.database.read { connection in
                try ChatRepository(connection).events(
                    conversationID: message?.conversationID ?? "", afterSeq: 0, limit: 50)
            }
            #expect(events.filter { $0.type == "message_status" }.count >= 3, "sending, sent, delivered")
        }
    }

    @Test func drainsABurstWithoutLosingOrDoublingAText() async throws {
        try await TestApplication.live { application, client, simulator in
            let bodies = (0..<1_000).map { "burst \($0)" }
            let ids = try await Self.queue(bodies, to: "+14155550123", in: application, client: client)
            // Three minutes: only the machine's speed (on PostgreSQL under load, 785 of the 1,000
            // texts had left after one minute); what is checked is that none is lost or doubled.
            #expect(
                try await eventually(seconds: 180) {
                    simulator.inbox(of: "+14155550123").count >= bodies.count
                })
            try await Task.sleep(for: .milliseconds(300))
            let received = simulator.inbox(of: "+14155550123").map(\.body)
            #expect(received.count == bodies.count)
            #expect(Set(received) == Set(bodies))
            // A text is in the simulator's inbox before the gateway's answer is recorded as `sent`.
            let statuses = {
                try await application.database.read { connection in
                    try ids.map { try ChatRepository(connection).message(id: $0)?.status ?? "missing" }
                }
            }
            #expect(try await eventually { try await statuses().allSatisfy { $0 == "sent" || $0 == "delivered" } })
        }
    }

    @Test func respectsSuppressionsAndCarrierOptOuts() async throws {
        try await TestApplication.live { application, client, simulator in
            try await application.database.write {
                try SuppressionRepository($0).add(
                    "+14155550001", reason: "stop_keyword", source: nil, actor: "test", requestID: nil, now: 1)
            }
            let suppressed = try await Self.queue(["hello?"], to: "+14155550001", in: application, client: client)
            #expect(try await eventually { try await Self.status(suppressed[0], application) == "suppressed" })
            #expect(simulator.inbox(of: "+14155550001").isEmpty)

            simulator.fail(.optedOut)
            let optedOut = try await Self.queue(["hi"], to: "+14155550002", in: application, client: client)
            #expect(try await eventually { try await Self.status(optedOut[0], application) == "failed" })
            let message = try await application.database.read { try ChatRepository($0).message(id: optedOut[0]) }
            #expect(message?.errorCode == 21610)
            #expect(try await application.database.read { try SuppressionRepository($0).isSuppressed("+14155550002") })
        }
    }

    @Test func retriesWhatTheGatewayCouldNotTakeNow() async throws {
        try await TestApplication.live { application, client, simulator in
            simulator.fail(.serverError)
            let ids = try await Self.queue(["eventually"], to: "+14155550003", in: application, client: client)
            #expect(
                try await eventually(seconds: 15) { try await Self.status(ids[0], application) == "delivered" })
            #expect(simulator.inbox(of: "+14155550003").count == 1)
        }
    }

    @Test func refusesUnsignedReportsAndNeverMovesBackwards() async throws {
        try await TestApplication.live { application, client, simulator in
            let ids = try await Self.queue(["hi"], to: "+14155550004", in: application, client: client)
            #expect(try await eventually { try await Self.status(ids[0], application) == "delivered" })
            let sid = try #require(simulator.inbox(of: "+14155550004").first?.sid)
            let form = URLEncodedForm([("MessageSid", sid), ("MessageStatus", "sent")])
            let unsigned = try await client.request(
                "POST", TwilioWebhookRoutes.statusPath,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: String(decoding: form.encoded, as: UTF8.self))
            #expect(unsigned.status == 403)
            let forged = try await client.request(
                "POST", TwilioWebhookRoutes.statusPath,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "AAAA")],
                body: String(decoding: form.encoded, as: UTF8.self))
            #expect(forged.status == 403)
            #expect(try await Self.status(ids[0], application) == "delivered")
        }
    }

    @Test func capsSegmentsSmartensTextAndPacesSends() async throws {
        try await TestApplication.live({
            $0.smsMaxSegments = 2
            $0.smsSmartEncoding = true
            $0.smsPerSecond = 20
        }) { application, client, simulator in
            let phone = "+14155550190"
            let (_, conversationID) = try await API.activeSession(phone, client, simulator)
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            let long = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"\#(String(repeating: "ç", count: 150))","author":"agent"}"#)
            #expect(long.status == 422)
            #expect((long.json?["error"] as? [String: Any])?["code"] as? String == "too_many_segments")
            let curly = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"We’ll text you “soon” – promise…","author":"agent"}"#)
            #expect(curly.status == 201)
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body == "We'll text you \"soon\" - promise..."
                })
            let start = ContinuousClock.now
            let before = simulator.inbox(of: phone).count
            for index in 0..<10 {
                _ = try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                    body: #"{"body":"paced \#(index)","author":"agent"}"#)
            }
            #expect(try await eventually { simulator.inbox(of: phone).count >= before + 10 })
            #expect(ContinuousClock.now - start >= .milliseconds(400), "20 a second: ten sends take at least 0.45 s")
        }
    }
}
