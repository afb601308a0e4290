import DatabaseDriver
import Foundation
import Gateway
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// "Can we text you the answer?": offers by agents and by the widget, stored, live, refused when
/// they make no sense, and measured to the verified phone.
@Suite struct HandoffOfferTests {
    static func ask(_ cookie: String, _ body: String, _ client: HTTPTestClient) async throws -> String {
        let posted = try await client.request(
            "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"\#(body)"}"#)
        #expect(posted.status == 201)
        return try #require((posted.json?["message"] as? [String: Any])?["id"] as? String)
    }

    static func widgetOffer(
        _ cookie: String, reason: String, question: String?, _ client: HTTPTestClient
    ) async throws -> HTTPTestClient.Response {
        let questionField = question.map { #","question_id":"\#($0)""# } ?? ""
        return try await client.request(
            "POST", "/v1/handoff/offers", headers: API.json(cookie),
            body: #"{"reason":"\#(reason)"\#(questionField)}"#)
    }

    @Test func anAgentsOfferReachesTheWidgetAndTheAnswerThenGoesByText() async throws {
        try await TestApplication.inProcess { application, client, simulator in
            let phone = "+14155550171"
            let (cookie, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            _ = try await Self.ask(cookie, "Do you have the blue tent in stock?", client)

            let offered = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/offer", headers: API.agent, body: #"{"reason":"agent"}"#)
            #expect(offered.status == 200)
            let offer = try #require(offered.json?["offer"] as? [String: Any])
            #expect(offer["conversation_id"] as? String == conversationID && offer["reason"] as? String == "agent")
            let offerID = try #require(offer["id"] as? String)
            let streamed = try await application.database.read { connection in
                try connection.query(
                    "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'handoff_offer'",
                    [.text(conversationID)]
                ).map { try $0.get("payload", as: String.self) }
            }
            #expect(streamed.count == 1 && streamed.first?.contains(offerID) == true, "a handoff_offer event")

            _ = try await API.requestHandoff(cookie, phone, client)
            let code = try await API.code(simulator, phone)
            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
            #expect(verified.status == 200)

            // The answer that was pending is written after the verification: it goes to the phone.
            let reply = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: API.agent,
                body: #"{"body":"Yes, two left in blue.","author":"agent"}"#)
            #expect(reply.status == 201)
            #expect(try await eventually { simulator.inbox(of: phone).last?.body == "Yes, two left in blue." })

            let metrics = try await client.request("GET", "/metrics").body
            #expect(metrics.contains(#"handoff_offers_total{reason="agent"} 1"#))
            #expect(metrics.contains(#"handoff_offer_to_verify_seconds_count{reason="agent"} 1"#))
            #expect(metrics.contains(#"handoff_offers_verified_within_90s_total{reason="agent"} 1"#))
            let state = try await application.database.read { connection in
                try OfferRepository(connection).offer(id: offerID)?.state
            }
            #expect(state == "accepted")

            let again = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/offer", headers: API.agent, body: "")
            #expect(again.status == 409 && API.errorCode(again) == "already_active")
        }
    }

    @Test func theWidgetOffersOncePerQuestionAndNeverAfterNoThanks() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let question = try await Self.ask(cookie, "When do you open?", client)
            let first = try await Self.widgetOffer(cookie, reason: "slow_answer", question: question, client)
            #expect(first.status == 201)
            let offerID = try #require((first.json?["offer"] as? [String: Any])?["id"] as? String)
            let twice = try await Self.widgetOffer(cookie, reason: "tab_hidden", question: question, client)
            #expect(twice.status == 409 && API.errorCode(twice) == "already_offered")

            let (strangerCookie, _) = try await API.startSession(client)
            let foreign = try await Self.widgetOffer(strangerCookie, reason: "slow_answer", question: question, client)
            #expect(foreign.status == 422 && API.errorCode(foreign) == "invalid_field", "another chat's question")
            let notMine = try await client.request(
                "POST", "/v1/handoff/offers/\(offerID)/decline", headers: API.json(strangerCookie))
            #expect(notMine.status == 404)
            let badReason = try await Self.widgetOffer(cookie, reason: "agent", question: nil, client)
            #expect(badReason.status == 422 && API.errorCode(badReason) == "invalid_field")

            let declined = try await client.request(
                "POST", "/v1/handoff/offers/\(offerID)/decline", headers: API.json(cookie))
            #expect(declined.status == 200)
            #expect((declined.json?["offer"] as? [String: Any])?["state"] as? String == "declined")
            let next = try await Self.ask(cookie, "And on Sundays?", client)
            let after = try await Self.widgetOffer(cookie, reason: "slow_answer", question: next, client)
            #expect(after.status == 409 && API.errorCode(after) == "offer_declined")
        }
    }

    @Test func nobodyIsOfferedTextsAfterStop() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550172"
            let (cookie, conversationID) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: GatewaySetup.simulatorSender, body: "STOP")
            let byAgent = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/offer", headers: API.agent, body: #"{"reason":"bot"}"#)
            #expect(byAgent.status == 409 && API.errorCode(byAgent) == "suppressed")
            let byWidget = try await Self.widgetOffer(cookie, reason: "tab_hidden", question: nil, client)
            #expect(byWidget.status == 409 && API.errorCode(byWidget) == "suppressed")
            let unknown = try await client.request(
                "POST", "/v1/conversations/conv_missing/offer", headers: API.agent, body: "")
            #expect(unknown.status == 404)
            let unauthenticated = try await client.request("POST", "/v1/conversations/\(conversationID)/offer")
            #expect(unauthenticated.status == 401)
        }
    }
}
