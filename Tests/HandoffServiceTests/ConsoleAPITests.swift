import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// What the agent console reads besides the conversations API: who signed in, the server's measure
/// of a reply as it would be texted, the list's last message and wait, and the page itself.
@Suite struct ConsoleAPITests {
    @Test func signedInAgentOrPlainAPIKey() async throws {
        try await TestApplication.inProcess(Queues.configure) { _, client, _ in
            let ann = try await Agents.make("Ann", role: "supervisor", queues: ["support"], client)
            let mine = try await client.request("GET", "/v1/agent/me", headers: ann.headers)
            let agent = mine.json?["agent"] as? [String: Any]
            #expect(mine.status == 200 && agent?["id"] as? String == ann.id && agent?["name"] as? String == "Ann")
            #expect(agent?["role"] as? String == "supervisor" && agent?["queues"] as? [String] == ["support"])
            let bot = try await client.request("GET", "/v1/agent/me", headers: API.agent)
            #expect(bot.status == 200 && bot.json?["agent"] is NSNull, "an API key is no named agent")
            #expect(try await client.request("GET", "/v1/agent/me").status == 401)
        }
    }

    @Test func previewMeasuresAReplyAsItWouldBeTexted() async throws {
        try await TestApplication.inProcess({ $0.smsSmartEncoding = true }) { _, client, _ in
            func preview(_ body: String) async throws -> HTTPTestClient.Response {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ["body": body]), as: UTF8.self)
                return try await client.request("POST", "/v1/sms/preview", headers: API.agent, body: json)
            }
            let plain = try await preview(String(repeating: "a", count: 161))
            #expect(plain.status == 200)
            #expect(plain.json?["encoding"] as? String == "GSM-7" && plain.json?["segments"] as? Int == 2)
            #expect(plain.json?["characters"] as? Int == 161 && plain.json?["max_segments"] is Int)
            let emoji = try await preview("On my way 😀")
            #expect(emoji.json?["encoding"] as? String == "UCS-2" && emoji.json?["segments"] as? Int == 1)
            let curly = try await preview("It’s here")
            #expect(curly.json?["encoding"] as? String == "GSM-7", "smart encoding applies, as when sent")
            #expect(curly.json?["body"] as? String == "It's here")
            let tooLong = try await preview(String(repeating: "a", count: 20_000))
            #expect(tooLong.status == 422 && API.errorCode(tooLong) == "body_too_long")
            let missing = try await client.request("POST", "/v1/sms/preview", headers: API.agent, body: "{}")
            #expect(missing.status == 400 || missing.status == 422)
            #expect(
                try await client.request("POST", "/v1/sms/preview", headers: API.jsonContent, body: #"{"body":"x"}"#)
                    .status == 401)
        }
    }

    @Test func theListCarriesTheLastMessageAndTheWait() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            _ = try await client.request("POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Hello?"}"#)
            let listed = try await client.request("GET", "/v1/conversations", headers: API.agent)
            let waiting = try #require(
                (listed.json?["conversations"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            #expect((waiting["last_message"] as? [String: Any])?["body"] as? String == "Hello?")
            #expect(waiting["waiting_since"] is String)
            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent, body: #"{"body":"Hi!","author":"bot"}"#)
            let answered = try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent)
            #expect((answered.json?["last_message"] as? [String: Any])?["body"] as? String == "Hi!")
            #expect(answered.json?["waiting_since"] == nil, "answered: nobody waits")
        }
    }

    @Test func theListSaysWhenAConversationContinuesByText() async throws {
        try await TestApplication.inProcess { _, client, simulator in
            let (_, id) = try await API.activeSession("+14155550187", client, simulator)
            let listed = try await client.request("GET", "/v1/conversations", headers: API.agent)
            let row = try #require(
                (listed.json?["conversations"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            #expect(
                (row["handoff"] as? [String: Any])?["state"] as? String == "active", "as GET /v1/conversations/{id}")
        }
    }

    @Test func theConsolePageAndScriptAreServed() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let page = try await client.request("GET", "/console")
            #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.body.contains(#"<div id="handoff-console">"#) && page.body.contains("/console.js"))
            let policy = page.header("Content-Security-Policy") ?? ""
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "it holds a key")
            let script = try await client.request("GET", "/console.js")
            #expect(script.status == 200 && script.header("Content-Type")?.hasPrefix("text/javascript") == true)
            #expect(script.body.contains("/v1/agent/events") && script.body.contains("/v1/sms/preview"))
        }
    }
}
