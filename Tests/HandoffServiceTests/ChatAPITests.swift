import Foundation
import HandoffService
import Logging
import TestSupport
import Testing

/// The widget and bot/agent APIs, in process; their event streams over real HTTP on a live server.
@Suite struct ChatAPITests {
    @Test func startsResumesAndReplacesSessions() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, first) = try await API.startSession(client)
            #expect((first["handoff"] as? [String: Any])?["state"] as? String == "none")
            let resumed = try await client.request("POST", "/v1/sessions", headers: [("Cookie", cookie)])
            #expect(resumed.status == 200)
            #expect(resumed.header("Set-Cookie") == nil)
            #expect(resumed.json?["session_id"] as? String == first["session_id"] as? String)
            let current = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(current.json?["conversation_id"] as? String == first["conversation_id"] as? String)
            let forged = "handoff_session=" + String(repeating: "A", count: 43)
            let fresh = try await client.request("POST", "/v1/sessions", headers: [("Cookie", forged)])
            #expect(fresh.status == 201, "an unknown cookie starts a new session, never an error")
            #expect(try await client.request("GET", "/v1/session").status == 401)
        }
    }

    @Test func keepsTheVisitorsMessagesInOrderAndIdempotent() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            var ids: [String] = []
            for index in 1...5 {
                let response = try await client.request(
                    "POST", "/v1/messages", headers: headers, body: #"{"body":"hello \#(index) 👋"}"#)
                #expect(response.status == 201)
                ids.append(try #require((response.json?["message"] as? [String: Any])?["id"] as? String))
            }
            let first = try await client.request(
                "POST", "/v1/messages", headers: headers + [("Idempotency-Key", "k1")], body: #"{"body":"once"}"#)
            let retry = try await client.request(
                "POST", "/v1/messages", headers: headers + [("Idempotency-Key", "k1")], body: #"{"body":"once"}"#)
            #expect(first.status == 201 && retry.status == 200)
            #expect(
                (first.json?["message"] as? [String: Any])?["id"] as? String
                    == (retry.json?["message"] as? [String: Any])?["id"] as? String)

            var seen: [String] = []
            var after = ""
            repeat {
                let page = try await client.request("GET", "/v1/messages?limit=2&after=\(after)", headers: headers)
                let messages = try #require(page.json?["messages"] as? [[String: Any]])
                seen += messages.compactMap { $0["id"] as? String }
                after = page.json?["next_after"] as? String ?? ""
            } while !after.isEmpty
            #expect(seen.count == 6)
            #expect(Array(seen.prefix(5)) == ids)
            let all = try await client.request("GET", "/v1/messages", headers: headers)
            let bodies = (all.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String }
            #expect(bodies?.first == "hello 1 👋")
        }
    }

    @Test func refusesBadMessagesWithTheContractsErrors() async throws {
        try await TestApplication.inProcess({ $0.maxMessageCharacters = 10 }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            let cases: [(String, Int, String)] = [
                ("{not json", 400, "invalid_json"),
                (#"{"body": 5}"#, 422, "invalid_field"),
                (#"{}"#, 422, "missing_field"),
                (#"{"body": "   "}"#, 422, "empty_body"),
                (#"{"body": "12345678901"}"#, 422, "body_too_long"),
            ]
            for (body, status, code) in cases {
                let response = try await client.request("POST", "/v1/messages", headers: headers, body: body)
                #expect(response.status == status, "\(body)")
                #expect((response.json?["error"] as? [String: Any])?["code"] as? String == code, "\(body)")
            }
            let wrongType = try await client.request(
                "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", "text/plain")], body: "hi")
            #expect(wrongType.status == 415)
            let exactly = try await client.request(
                "POST", "/v1/messages", headers: headers, body: #"{"body":"ééééééééé👋"}"#)
            #expect(exactly.status == 201, "10 characters, more bytes")
        }
    }

    @Test func appliesCORSOnlyForWidgetOrigins() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let preflight = try await client.request(
                "OPTIONS", "/v1/messages",
                headers: [("Origin", TestApplication.origin), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == TestApplication.origin)
            #expect(preflight.header("Access-Control-Allow-Credentials") == "true")
            #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
            let foreign = try await client.request(
                "POST", "/v1/sessions", headers: [("Origin", "https://evil.example")])
            #expect(foreign.status == 403)
            let allowed = try await client.request(
                "POST", "/v1/sessions", headers: [("Origin", TestApplication.origin)])
            #expect(allowed.status == 201)
            #expect(allowed.header("Access-Control-Allow-Origin") == TestApplication.origin)
        }
    }

    @Test func limitsTheMessageRate() async throws {
        try await TestApplication.inProcess({ $0.messagesPerMinutePerSession = 3 }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 1...4 {
                let response = try await client.request(
                    "POST", "/v1/messages", headers: headers, body: #"{"body":"x"}"#)
                statuses.append(response.status)
                retryAfter = response.header("Retry-After") ?? retryAfter
            }
            #expect(statuses == [201, 201, 201, 429])
            #expect(Int(retryAfter ?? "") ?? 0 >= 1)
        }
    }

    @Test func letsAgentsListReplyEscalateAndClose() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            #expect(try await client.request("GET", "/v1/conversations").status == 401)
            #expect(
                try await client.request("GET", "/v1/conversations", headers: [("Authorization", "Bearer nope")]).status
                    == 401)
            let list = try await client.request("GET", "/v1/conversations?state=open", headers: auth)
            let ids = (list.json?["conversations"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [conversationID])

            let reply = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"How can I help?","author":"agent","client_id":"r1"}"#)
            #expect(reply.status == 201)
            #expect((reply.json?["message"] as? [String: Any])?["direction"] as? String == "outbound")
            let badAuthor = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"x","author":"visitor"}"#)
            #expect(badAuthor.status == 422)

            let history = try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)])
            #expect((history.json?["messages"] as? [[String: Any]])?.first?["author"] as? String == "agent")

            let escalated = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/escalate", headers: auth,
                body: #"{"queue":"billing","reason":"refund"}"#)
            let conversation = escalated.json?["conversation"] as? [String: Any]
            #expect(conversation?["state"] as? String == "escalated")
            #expect(conversation?["queue"] as? String == "billing")
            let queue = try await client.request("GET", "/v1/conversations?queue=billing", headers: auth)
            #expect((queue.json?["conversations"] as? [[String: Any]])?.count == 1)

            let closed = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/close", headers: auth)
            #expect((closed.json?["conversation"] as? [String: Any])?["state"] as? String == "closed")
            let late = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"hello?","author":"bot"}"#)
            #expect(late.status == 409)
            #expect(
                try await client.request("GET", "/v1/conversations/conv_missing", headers: auth).status == 404)

            let next = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(next.json?["conversation_id"] as? String != conversationID, "a closed conversation is not reused")
        }
    }

    @Test func streamsNewMessagesLiveAndReplaysAfterReconnect() async throws {
        try await TestApplication.live { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            let stream = try RawHTTPClient(port: client.port)
            try stream.send("GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\n\r\n")
            let opening = await stream.read(until: ": connected")
            #expect(opening.contains("Content-Type: text/event-stream"))

            let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"live one","author":"agent"}"#)
            let live = await stream.read(until: "live one")
            #expect(live.contains("event: message"))
            #expect(clock.now - start < .seconds(1))
            let eventID = try #require(
                live.split(whereSeparator: \.isNewline).first { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) })

            _ = try await client.request(
                "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", "application/json")],
                body: #"{"body":"missed while away"}"#)
            let replay = try RawHTTPClient(port: client.port)
            try replay.send(
                "GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\nLast-Event-ID: \(eventID)\r\n\r\n")
            let replayed = await replay.read(until: "missed while away")
            #expect(replayed.contains("missed while away"))
            #expect(!replayed.contains("live one"), "events up to Last-Event-ID are not sent again")
        }
    }

    /// Agents' consoles follow every conversation on one stream: each event names its conversation,
    /// a reconnect with Last-Event-ID replays what it missed, and the stream needs an API key.
    @Test func agentsFollowEveryConversationOnOneStream() async throws {
        try await TestApplication.live { _, client, _ in
            let unauthorized = try await client.request("GET", "/v1/agent/events")
            #expect(unauthorized.status == 401)
            let stream = try RawHTTPClient(port: client.port)
            try stream.send(
                "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(TestApplication.apiKey)\r\n\r\n")
            let opening = await stream.read(until: ": connected")
            #expect(opening.contains("Content-Type: text/event-stream"))

            let (firstCookie, first) = try await API.startSession(client)
            let (secondCookie, second) = try await API.startSession(client)
            let json = { (cookie: String) in [("Cookie", cookie), ("Content-Type", "application/json")] }
            _ = try await client.request(
                "POST", "/v1/messages", headers: json(firstCookie), body: #"{"body":"from one"}"#)
            _ = try await client.request(
                "POST", "/v1/messages", headers: json(secondCookie), body: #"{"body":"from two"}"#)
            let live = await stream.read(until: "from two")
            let firstID = try #require(first["conversation_id"] as? String)
            let secondID = try #require(second["conversation_id"] as? String)
            #expect(live.contains(#"data: {"conversation_id":"\#(firstID)","data":{"#))
            #expect(live.contains(#"data: {"conversation_id":"\#(secondID)","data":{"#))
            let ids = live.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("id: ") }.map { $0.dropFirst(4) }
            let firstEventID = try #require(ids.first)

            let replay = try RawHTTPClient(port: client.port)
            try replay.send(
                "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(TestApplication.apiKey)\r\n"
                    + "Last-Event-ID: \(firstEventID)\r\n\r\n")
            let replayed = await replay.read(until: "from two")
            #expect(replayed.contains("from two") && !replayed.contains("from one"))
        }
    }
}
