import DatabaseDriver
import Foundation
import Gateway
import GatewaySimulator
import HTTPServer
import HTTPValues
import HandoffCore
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Texts from phones through signed webhooks from the simulator.
@Suite struct InboundSMSTests {
    @Test func textsJoinTheConversationOnceEach() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550142"
            let (cookie, _) = try await API.activeSession(phone, client, simulator)
            let first = try await simulator.reply(from: phone, to: API.sender, body: "Is it here yet?")
            #expect(first.status == 200 && first.header("Content-Type")?.hasPrefix("text/xml") == true)
            #expect(String(decoding: first.body, as: UTF8.self).hasSuffix("<Response/>"))
            let sid = try #require(
                try await application.database.read { connection in
                    try connection.queryOne(
                        """
                        SELECT provider_event_id FROM inbound_events
                        JOIN messages ON messages.id = inbound_events.message_id WHERE body = 'Is it here yet?'
                        """)?.get("provider_event_id", as: String.self)
                })
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Is it here yet?", messageSID: sid)
            let texts = try await API.history(cookie, client).filter { $0["body"] as? String == "Is it here yet?" }
            #expect(texts.count == 1)
            #expect(texts.first?["channel"] as? String == "sms" && texts.first?["direction"] as? String == "inbound")
        }
    }

    @Test func yesConfirmsAPendingVerification() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550143"
            let (cookie, _) = try await API.startSession(client)
            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie),
                body: #"{"phone":"\#(phone)","consent":true}"#)
            _ = try await API.code(simulator, phone)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Yes")
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect((session.json?["handoff"] as? [String: Any])?["state"] as? String == "active")
            #expect(try await eventually { simulator.inbox(of: phone).count >= 2 }, "the confirmation")
        }
    }

    @Test func stopStopsAtOnceAndStartResumes() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550144"
            let (cookie, conversationID) = try await API.activeSession(phone, client, simulator)
            let stop = try await simulator.reply(from: phone, to: API.sender, body: "STOP")
            #expect(String(decoding: stop.body, as: UTF8.self).contains("unsubscribed"))
            let confirmation = simulator.inbox(of: phone).last
            #expect(confirmation?.body.contains("unsubscribed") == true, "the phone gets the TwiML reply")
            #expect(confirmation?.from == API.sender)
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect((session.json?["handoff"] as? [String: Any])?["state"] as? String == "opted_out")

            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            let before = simulator.inbox(of: phone).count
            let reply = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"Are you still there?","author":"agent"}"#)
            #expect((reply.json?["message"] as? [String: Any])?["channel"] as? String == "web")
            try await Task.sleep(for: .milliseconds(300))
            #expect(simulator.inbox(of: phone).count == before, "nothing is texted after STOP")

            let help = try await simulator.reply(from: phone, to: API.sender, body: "help")
            #expect(String(decoding: help.body, as: UTF8.self).contains("Reply STOP"))
            #expect(simulator.inbox(of: phone).last?.body.contains("Reply STOP") == true)
            let start = try await simulator.reply(from: phone, to: API.sender, body: "START")
            #expect(String(decoding: start.body, as: UTF8.self).contains("resubscribed"))
            #expect(simulator.inbox(of: phone).last?.body.contains("resubscribed") == true)
            _ = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"Welcome back by text","author":"agent"}"#)
            #expect(
                try await eventually {
                    simulator.inbox(of: phone).last?.body == "Welcome back by text"
                },
                "after START, texts flow again")
            let ledger = try await application.database.read { try HandoffRepository($0).consents(phone: phone) }
            #expect(ledger.map(\.event) == ["opt_in_requested", "opt_in_confirmed", "opt_out", "opt_in_again"])
            #expect(ledger[2].method == "sms_keyword")
        }
    }

    @Test func aHundredSimultaneousDeliveriesOfOneTextMakeOneMessage() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550149"
            let (cookie, _) = try await API.activeSession(phone, client, simulator)
            let sid = "SM" + String(repeating: "7", count: 32)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await simulator.reply(from: phone, to: API.sender, body: "once only", messageSID: sid)
                            .status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 100 && statuses.allSatisfy { $0 == 200 }, "every delivery is acknowledged")
            let copies = try await API.history(cookie, client).filter { $0["body"] as? String == "once only" }
            #expect(copies.count == 1)
        }
    }

    @Test func stopWhileTextsAreQueuedSendsNoneOfThem() async throws {
        // Two a second: the 50 texts take 25 s to leave, so STOP finds most of them queued even when
        // a loaded machine takes seconds to accept the 50 replies (at 10 a second it could not).
        try await TestApplication.live({
            $0.smsPerSecond = 2
            $0.smsMaxInFlight = 1
        }) { application, client, simulator in
            let phone = "+14155550150"
            let (_, conversationID) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "ok")
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            var ids: [String] = []
            for index in 0..<50 {
                let reply = try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                    body: #"{"body":"queued \#(index)","author":"agent"}"#)
                ids.append(try #require((reply.json?["message"] as? [String: Any])?["id"] as? String))
            }
            _ = try await simulator.reply(from: phone, to: API.sender, body: "STOP")
            let sentBeforeStop = simulator.inbox(of: phone).filter { $0.body.hasPrefix("queued ") }.count
            try await Task.sleep(for: .seconds(1))
            let sentInAll = simulator.inbox(of: phone).filter { $0.body.hasPrefix("queued ") }.count
            #expect(sentInAll - sentBeforeStop <= 1, "at most the one already at the gateway")
            #expect(sentInAll < 50, "paced at 2 a second: STOP arrived while texts were still queued")
            let queued = ids
            let suppressed = {
                try await application.database.read { connection in
                    try queued.map { try ChatRepository(connection).message(id: $0)?.status ?? "" }
                }.filter { $0 == "suppressed" }.count
            }
            // The dispatcher marks the queued texts suppressed one by one, in the phone's lane, after
            // the STOP: read once after a second, 26 of 41 were done on a loaded machine.
            #expect(try await eventually { try await suppressed() >= 50 - sentInAll - 1 }, "the rest suppressed")
        }
    }

    @Test func configuredWordsStopAndStartOnlyResubscribesTheOptedIn() async throws {
        try await TestApplication.live({
            $0.keywordVocabulary = Keyword.Vocabulary(optOutWords: ["BAJA"])
        }) { application, client, simulator in
            let phone = "+14155550154"
            _ = try await API.activeSession(phone, client, simulator)
            let stop = try await simulator.reply(from: phone, to: API.sender, body: "Baja")
            #expect(String(decoding: stop.body, as: UTF8.self).contains("unsubscribed"))
            #expect(try await application.database.read { try SuppressionRepository($0).isSuppressed(phone) })

            let stranger = "+14155550155"
            try await application.database.write {
                try SuppressionRepository($0).add(
                    stranger, reason: "carrier_opt_out", source: nil, actor: "test", requestID: nil, now: 1)
            }
            let start = try await simulator.reply(from: stranger, to: API.sender, body: "START")
            #expect(!String(decoding: start.body, as: UTF8.self).contains("resubscribed"))
            #expect(
                try await application.database.read { try SuppressionRepository($0).isSuppressed(stranger) },
                "never opted in: START does not subscribe it")
        }
    }

    @Test func theChannelFollowsTheCustomer() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550151"
            let (cookie, conversationID) = try await API.activeSession(phone, client, simulator)
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            func reply(_ body: String) async throws -> String? {
                let response = try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                    body: #"{"body":"\#(body)","author":"agent"}"#)
                return (response.json?["message"] as? [String: Any])?["channel"] as? String
            }
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Back at my desk"}"#)
            #expect(try await reply("Welcome back") == "web")
            _ = try await simulator.reply(from: phone, to: API.sender, body: "On the train now")
            #expect(try await reply("Texting you then") == "sms")
        }
    }

    @Test func aStrangersPictureOpensAnUnlinkedConversation() async throws {
        try await TestApplication.live({ $0.unknownSenderReply = "{{brand}}: we got your text." }) {
            application, client, simulator in
            let stranger = "+14155550146"
            let picture = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
            let answer = try await simulator.reply(
                from: stranger, to: API.sender, body: "Is this yours?", media: [picture])
            #expect(
                String(decoding: answer.body, as: UTF8.self).contains("<Message>Support: we got your text.</Message>"))
            let again = try await simulator.reply(from: stranger, to: API.sender, body: "Hello?")
            #expect(
                String(decoding: again.body, as: UTF8.self).hasSuffix("<Response/>"), "answered once, not every time")
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)")]
            let unlinked = try await client.request("GET", "/v1/conversations?queue=unlinked", headers: auth)
            let conversation = try #require((unlinked.json?["conversations"] as? [[String: Any]])?.first)
            #expect(conversation["active_channel"] as? String == "sms")
            let id = try #require(conversation["id"] as? String)
            let history = try await client.request("GET", "/v1/conversations/\(id)/messages", headers: auth)
            let message = try #require((history.json?["messages"] as? [[String: Any]])?.first)
            #expect(message["media"] as? [String] == [picture])
            let raw = try await application.database.read { connection in
                try connection.queryOne("SELECT raw FROM inbound_events")?.get("raw", as: String.self)
            }
            #expect(raw?.contains("MediaUrl0=") == true, "the raw webhook is kept")
        }
    }

    @Test func refusesUnsignedTexts() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let form = URLEncodedForm([
                ("MessageSid", "SM1"), ("From", "+14155550145"), ("To", API.sender), ("Body", "hi"),
            ])
            let response = try await client.request(
                "POST", TwilioWebhookRoutes.inboundPath,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: String(decoding: form.encoded, as: UTF8.self))
            #expect(response.status == 403)
        }
    }

    /// A visitor whose browser speaks Spanish gets the code and the keyword answers in Spanish, and
    /// PARAR stops texts for them; from an English speaker PARAR is an ordinary message.
    @Test func aSpanishSpeakerGetsSpanishTextsAndPARARStops() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550171"
            let started = try await client.request(
                "POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: #"{"locale":"es-MX"}"#)
            let cookie = String(try #require(started.header("Set-Cookie")).split(separator: ";")[0])
            _ = try await client.request(
                "POST", "/v1/handoff", headers: API.json(cookie) + [("Accept-Language", "es-MX,es;q=0.9")],
                body: #"{"phone":"\#(phone)","consent":true}"#)
            #expect(try await eventually { simulator.inbox(of: phone).contains { $0.body.contains("su código es") } })
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Sí")
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(
                (session.json?["handoff"] as? [String: Any])?["state"] as? String == "active",
                "SI answers the code's text as YES does")

            let help = try await simulator.reply(from: phone, to: API.sender, body: "AYUDA")
            #expect(String(decoding: help.body, as: UTF8.self).contains("Responda PARAR para cancelar"))
            let stop = try await simulator.reply(from: phone, to: API.sender, body: "parar")
            #expect(String(decoding: stop.body, as: UTF8.self).contains("se ha dado de baja"))
            #expect(try await application.database.read { try SuppressionRepository($0).isSuppressed(phone) })

            let english = "+14155550172"
            _ = try await API.activeSession(english, client, simulator)
            let parar = try await simulator.reply(from: english, to: API.sender, body: "PARAR")
            #expect(!String(decoding: parar.body, as: UTF8.self).contains("baja"))
            #expect(try await application.database.read { try !SuppressionRepository($0).isSuppressed(english) })
        }
    }
}
