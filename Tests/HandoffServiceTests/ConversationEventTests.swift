import DatabaseDriver
import Foundation
import GatewaySimulator
import TestSupport
import Testing

@testable import HandoffService

/// The `conversation` event: every change of a conversation's state, queue, owner or first-response
/// clock (escalation, assignment, transfer, hand-back, close, SLA overflow, reopening) is one event
/// on the log, carrying the conversation as agents see it; the agents' stream shows it live, the
/// widget's own stream never does.
@Suite struct ConversationEventTests {
    /// The `conversation` events logged for `id`, oldest first.
    static func events(_ id: String, _ application: HandoffApplication) async throws -> [[String: Any]] {
        let payloads = try await application.database.read { connection in
            try connection.query(
                "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'conversation' ORDER BY seq",
                [.text(id)]
            ).map { try $0.get("payload", as: String.self) }
        }
        return try payloads.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The data of each `type` event in a stream's text, parsed.
    static func dataLines(of type: String, in stream: String) -> [[String: Any]] {
        stream.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard lines.contains("event: \(type)"), let data = lines.first(where: { $0.hasPrefix("data: ") }) else {
                return nil
            }
            return try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any]
        }
    }

    /// What the console reads off one event: state, queue and owner's name ("-" for none).
    static func summary(_ event: [String: Any]) -> String {
        let owner = (event["assigned_agent"] as? [String: Any])?["name"] as? String
        return [event["state"] as? String, event["queue"] as? String, owner].map { $0 ?? "-" }.joined(separator: " ")
    }

    /// Queues (`support` overflows to `supervisors` after 300 ms), agents, programs.
    static func configure(_ configuration: inout Configuration) {
        FirstResponseSLATests.configure(&configuration)
        configuration.programs = Templates.programs
    }

    /// Runs `body` on an application with queues, agents and programs, on `backend`.
    static func withApplication(
        on backend: Backend, _ mode: TestApplication.Mode,
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        switch backend {
        case .sqlite:
            try await TestApplication.run(mode, Self.configure, body)
        case .postgresql:
            try await ScratchDatabase.with { scratch in
                try await TestApplication.run(
                    mode,
                    {
                        Self.configure(&$0)
                        $0.databasePath = scratch.uri
                    }, body)
            }
        }
    }

    @Test(arguments: Backend.available)
    func eachChangeOfOwnerQueueOrStateIsOneEvent(on backend: Backend) async throws {
        try await Self.withApplication(on: backend, .inProcess) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            let id = try await Queues.escalated(to: "supervisors", client)
            let path = "/v1/conversations/\(id)"
            #expect(try await AssignmentTests.post(path + "/assign", ann.headers, client).status == 200)
            #expect(try await AssignmentTests.post(path + "/assign", ann.headers, client).status == 200)
            #expect(try await AssignmentTests.post(path + "/assign", bo.headers, client).status == 409)
            let agentReply = try await client.request(
                "POST", path + "/messages", headers: ann.headers, body: #"{"body":"On it."}"#)
            #expect(agentReply.status == 201)
            _ = try await client.request(
                "POST", path + "/messages", headers: ann.headers, body: #"{"body":"Still on it."}"#)
            let transferred = try await AssignmentTests.post(
                path + "/transfer", ann.headers, #"{"queue":"support"}"#, client)
            #expect(transferred.status == 200)
            #expect(try await AssignmentTests.post(path + "/handback", API.agent, client).status == 200)
            #expect(
                try await AssignmentTests.post(path + "/close", API.agent, #"{"resolution":"resolved"}"#, client)
                    .status == 200)
            #expect(try await AssignmentTests.post(path + "/close", API.agent, client).status == 200)

            let events = try await Self.events(id, application)
            #expect(
                events.map(Self.summary) == [
                    "escalated supervisors -", "escalated supervisors Ann",
                    "escalated supervisors Ann",  // the first human answer stops the clock
                    "escalated support -", "open - -", "closed - -",
                ], "one per change; none for a repeat, a refusal or a later answer")
            #expect(events[0]["first_response_due_at"] is String)
            #expect(events[2]["first_response_due_at"] is NSNull, "answered: no first response due")
            #expect((events[1]["assigned_agent"] as? [String: Any])?["id"] as? String == ann.id)
            #expect(events.last?["resolution"] as? String == "resolved")
            #expect(events.allSatisfy { $0["id"] as? String == id && $0.keys.contains("last_intent") })
        }
    }

    @Test(arguments: Backend.available)
    func routingAnOverdueFirstAnswerAndAReopeningAreEventsToo(on backend: Backend) async throws {
        try await Self.withApplication(on: backend, .inProcess) { application, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let routed = try #require(session["conversation_id"] as? String)
            let asked = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"Can I talk to a real person?"}"#)
            #expect(asked.status == 201)
            let escalation = try #require(try await Self.events(routed, application).first)
            #expect(Self.summary(escalation) == "escalated humans -")
            #expect(escalation["escalation_reason"] as? String == "human_request")
            #expect((escalation["last_intent"] as? [String: Any])?["name"] as? String == "human_request")

            // `support`'s first response is due within 300 ms: the clock moves it to the overflow queue.
            let late = try await Queues.escalated(to: "support", client)
            #expect(
                try await eventually(seconds: 5) {
                    (try? await Self.events(late, application))?.map(Self.summary) == [
                        "escalated support -", "escalated supervisors -",
                    ]
                })
            #expect(try await Self.events(late, application).last?["sla_breached_at"] is String)

            // A text we start to a contact whose conversation is closed reopens it.
            let consent = { (program: String) in
                try await client.request(
                    "POST", "/v1/contacts/%2B14155550163/consents", headers: API.agent,
                    body: Templates.paperOptIn(program: program, extra: #","confirm_by_sms":true"#))
            }
            #expect(try await consent("reminders").status == 201)
            let texted = try await client.request("GET", "/v1/conversations?limit=200", headers: API.agent)
            let thread = try #require(
                (texted.json?["conversations"] as? [[String: Any]])?.first {
                    ($0["contact"] as? [String: Any])?["phone_masked"] != nil
                }?["id"] as? String)
            #expect(
                try await AssignmentTests.post("/v1/conversations/\(thread)/close", API.agent, client).status == 200)
            #expect(try await consent("offers").status == 201)
            #expect(try await Self.events(thread, application).map(Self.summary) == ["closed - -", "open - -"])
        }
    }

    /// The agents' stream carries each change live; the widget's stream of the same conversation
    /// carries none of them (nor the owner's name they hold).
    @Test(arguments: Backend.available)
    func agentsSeeChangesLiveAndTheWidgetDoesNot(on backend: Backend) async throws {
        try await Self.withApplication(on: backend, .live) { _, client, _ in
            let ann = try await Agents.make("Annabel", client)
            let (cookie, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            let widget = try RawHTTPClient(port: client.port)
            try widget.send("GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\n\r\n")
            _ = await widget.read(until: ": connected")
            let agents = try RawHTTPClient(port: client.port)
            try agents.send(
                "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(ann.key)\r\n\r\n")
            _ = await agents.read(until: ": connected")

            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/escalate", headers: API.agent, body: #"{"queue":"supervisors"}"#)
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await AssignmentTests.post("/v1/conversations/\(id)/assign", ann.headers, client).status == 200)
            let live = await agents.read(until: #""name":"Annabel""#)
            #expect(clock.now - start < .seconds(1), "the claim reaches other consoles at once")
            let claim = try #require(
                Self.dataLines(of: "conversation", in: live).last {
                    Self.summary($0["data"] as? [String: Any] ?? [:]) == "escalated supervisors Annabel"
                },
                "\(live)")
            #expect(claim["conversation_id"] as? String == id)

            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"marker for the widget","author":"agent"}"#)
            let seen = await widget.read(until: "marker for the widget")
            #expect(seen.contains("marker for the widget"))
            #expect(!seen.contains("event: conversation"), "the widget's stream leaves conversation events out")
            #expect(!seen.contains("Annabel"), "and with them the owner's name")
        }
    }
}
