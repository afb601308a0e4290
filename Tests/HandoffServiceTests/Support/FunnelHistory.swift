import DatabaseDriver
import GatewaySimulator
import TestSupport
import Testing

@testable import HandoffService

/// The scripted conversations the funnel report and the reports page are checked against (issue
/// 20's "Tests"): web only, handed off fast and slow, a proactive text answered without and one
/// with a matched answer, escalated and answered late, opted out, converted with a value; made
/// through the API and the gateway simulator, their times then pinned in the database.
enum FunnelHistory {
    static let dayOne: Int64 = 1_764_579_600_000  // 2025-12-01T09:00:00Z
    static let dayTwo: Int64 = dayOne + 86_400_000
    static let range = "from=2025-12-01T00:00:00Z&to=2025-12-03T00:00:00Z"

    /// The conversations of the history.
    struct Conversations {
        /// Web only, campaign `spring`, on day two: two questions answered after 5 s and 90 s, resolved.
        var web: String
        /// Handed off 30 s after the offer, converted for 3000 cents.
        var fast: String
        /// Handed off 120 s after the offer, escalated, then STOP.
        var slow: String
        /// A proactive text (campaign `winter`) answered by the customer (no answer of the template
        /// matches), converted for 12500 cents.
        var proactive: String
        var templateID: String
        var variant: String
        /// A proactive text whose answer `C` matches the template: its reply_body answers at once.
        var matched: String
        /// Web only, escalated to a person, whose answer came 150 s after the question.
        var late: String
    }

    /// The late conversation's wait for its answer.
    static let lateAnswer: Int64 = 150_000

    static func execute(_ application: HandoffApplication, _ sql: String, _ values: [DatabaseValue]) async throws {
        _ = try await application.database.write { try $0.execute(sql, values) }
    }

    /// A session offered a handoff that is verified `delay` ms after the offer.
    static func handedOff(
        _ phone: String, after delay: Int64, _ application: HandoffApplication, _ client: HTTPTestClient,
        _ simulator: GatewaySimulator
    ) async throws -> String {
        let (cookie, session) = try await API.startSession(client)
        let id = try #require(session["conversation_id"] as? String)
        let offered = try await client.request(
            "POST", "/v1/conversations/\(id)/offer", headers: API.agent, body: #"{"reason":"agent"}"#)
        #expect(offered.status == 200, "\(offered.body)")
        _ = try await API.requestHandoff(cookie, phone, client)
        let code = try await API.code(simulator, phone)
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
        #expect(verified.status == 200)
        try await execute(
            application,
            """
            UPDATE handoff_offers SET created_at = (SELECT min(k.created_at) FROM consents k
              WHERE k.event = 'opt_in_confirmed' AND k.phone_e164 = ?) - ? WHERE conversation_id = ?
            """, [.text(phone), .integer(delay), .text(id)])
        return id
    }

    static func build(
        _ application: HandoffApplication, _ client: HTTPTestClient, _ simulator: GatewaySimulator
    ) async throws -> Conversations {
        // Web only.
        let started = try await client.request(
            "POST", "/v1/sessions", headers: API.jsonContent, body: #"{"locale":"en-US","campaign":"spring"}"#)
        let webCookie = try #require(started.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let web = try #require(started.json?["conversation_id"] as? String)
        for question in ["Open on Sunday?", "And Monday?"] {
            let asked = try await client.request(
                "POST", "/v1/messages", headers: API.json(webCookie), body: #"{"body":"\#(question)"}"#)
            #expect(asked.status == 201 || asked.status == 200, "\(asked.body)")
            let answered = try await client.request(
                "POST", "/v1/conversations/\(web)/messages", headers: API.agent,
                body: #"{"body":"Yes.","author":"bot"}"#)
            #expect(answered.status == 201 || answered.status == 200, "\(answered.body)")
        }
        let closed = try await client.request(
            "POST", "/v1/conversations/\(web)/close", headers: API.agent, body: #"{"resolution":"resolved"}"#)
        #expect(closed.status == 200, "\(closed.body)")

        // Two handoffs, one verified within 90 s of its offer, one not; the slow one escalated and STOP.
        let fast = try await handedOff("+14155550191", after: 30_000, application, client, simulator)
        let slow = try await handedOff("+14155550192", after: 120_000, application, client, simulator)
        let escalated = try await client.request(
            "POST", "/v1/conversations/\(slow)/escalate", headers: API.agent, body: "{}")
        #expect(escalated.status == 200, "\(escalated.body)")
        try await simulator.reply(from: "+14155550192", to: API.sender, body: "STOP")

        // A proactive text with variants, answered.
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: """
                {"name":"spring_sale","program":"reminders","locale":"en","body":"{{brand}}: see you soon.",
                 "variants":[{"id":"a","body":"{{brand}}: see you soon!","weight":1},
                             {"id":"b","body":"{{brand}}: we look forward to it.","weight":1}]}
                """)
        #expect(created.status == 201, "\(created.body)")
        let templateID = try #require(Templates.template(created)["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(templateID)/approve", headers: Templates.admin)
        #expect(approved.status == 200)
        let optedIn = try await client.request(
            "POST", "/v1/contacts/%2B14155550193/consents", headers: API.agent, body: Templates.paperOptIn())
        #expect(optedIn.status == 201)
        let sent = try await client.request(
            "POST", "/v1/outbound", headers: API.agent,
            body: #"{"to":"+14155550193","program":"reminders","template":"spring_sale","campaign":"winter"}"#)
        #expect(sent.status == 202, "\(sent.body)")
        let outbound = try #require(sent.json?["outbound"] as? [String: Any])
        let proactive = try #require(outbound["conversation_id"] as? String)
        let variant = try #require(outbound["variant"] as? String)
        #expect(try await eventually { !simulator.inbox(of: "+14155550193").isEmpty })
        try await simulator.reply(from: "+14155550193", to: API.sender, body: "Thanks, see you")
        let answered = try await client.request(
            "POST", "/v1/conversations/\(proactive)/messages", headers: API.agent,
            body: #"{"body":"See you then.","author":"bot"}"#)
        #expect(answered.status == 201 || answered.status == 200, "\(answered.body)")

        // A proactive text with an answer, answered with it.
        let confirm = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: """
                {"name":"visit_confirm","program":"reminders","locale":"en",
                 "body":"{{brand}}: your visit is tomorrow. Reply C to confirm.",
                 "replies":[{"answers":["C"],"outcome":"confirmed","reply_body":"Thanks! - {{brand}}"}]}
                """)
        #expect(confirm.status == 201, "\(confirm.body)")
        let confirmID = try #require(Templates.template(confirm)["id"] as? String)
        let confirmApproved = try await client.request(
            "POST", "/v1/templates/\(confirmID)/approve", headers: Templates.admin)
        #expect(confirmApproved.status == 200)
        let confirmOptIn = try await client.request(
            "POST", "/v1/contacts/%2B14155550194/consents", headers: API.agent, body: Templates.paperOptIn())
        #expect(confirmOptIn.status == 201)
        let confirmSent = try await client.request(
            "POST", "/v1/outbound", headers: API.agent,
            body: #"{"to":"+14155550194","program":"reminders","template":"visit_confirm"}"#)
        #expect(confirmSent.status == 202, "\(confirmSent.body)")
        let matched = try #require((confirmSent.json?["outbound"] as? [String: Any])?["conversation_id"] as? String)
        #expect(try await eventually { !simulator.inbox(of: "+14155550194").isEmpty })
        try await simulator.reply(from: "+14155550194", to: API.sender, body: "C")
        #expect(try await eventually { simulator.inbox(of: "+14155550194").count == 2 }, "the reply_body")

        // Web only, escalated, answered by an agent (150 s later, pinned below).
        let (lateCookie, lateSession) = try await API.startSession(client)
        let late = try #require(lateSession["conversation_id"] as? String)
        let lateQuestion = try await client.request(
            "POST", "/v1/messages", headers: API.json(lateCookie), body: #"{"body":"Open on Sunday?"}"#)
        #expect(lateQuestion.status == 201, "\(lateQuestion.body)")
        let lateEscalated = try await client.request(
            "POST", "/v1/conversations/\(late)/escalate", headers: API.agent, body: #"{"reason":"asked for a person"}"#)
        #expect(lateEscalated.status == 200, "\(lateEscalated.body)")
        let lateAnswered = try await client.request(
            "POST", "/v1/conversations/\(late)/messages", headers: API.agent,
            body: #"{"body":"Yes, from ten.","author":"agent"}"#)
        #expect(lateAnswered.status == 201, "\(lateAnswered.body)")

        for (id, cents) in [(proactive, 12_500), (fast, 3_000)] {
            let recorded = try await client.request(
                "POST", "/v1/conversations/\(id)/outcomes", headers: API.agent,
                body: #"{"type":"paid","value_cents":\#(cents),"currency":"USD"}"#)
            #expect(recorded.status == 201)
        }
        // Every text of ours delivered (the simulator reports sent, then delivered). Not a latency
        // bound: a loaded machine took more than the default 10 s once.
        #expect(
            try await eventually(seconds: 30) {
                try await application.database.read {
                    try $0.queryOne(
                        "SELECT count(*) AS n FROM messages WHERE channel = 'sms' AND direction = 'outbound' AND status <> 'delivered'"
                    )?.get("n", as: Int.self) == 0
                }
            })

        // Pinned times: the web conversation on day two, its answers after 5 s and 90 s; the others
        // on day one, their messages one second apart.
        try await execute(
            application, "UPDATE conversations SET created_at = ? WHERE id = ?", [.integer(dayTwo), .text(web)])
        for (index, offset) in [1_000, 6_000, 10_000, 100_000].enumerated() {
            try await execute(
                application,
                """
                UPDATE messages SET created_at = ? WHERE id = (SELECT id FROM messages WHERE conversation_id = ?
                  ORDER BY seq LIMIT 1 OFFSET ?)
                """, [.integer(dayTwo + Int64(offset)), .text(web), .integer(Int64(index))])
        }
        for id in [fast, slow, proactive, matched, late] {
            try await execute(
                application, "UPDATE conversations SET created_at = ? WHERE id = ?", [.integer(dayOne), .text(id)])
            try await execute(
                application,
                """
                UPDATE messages SET created_at = ? + 1000 * (SELECT count(*) FROM messages e
                  WHERE e.conversation_id = messages.conversation_id AND e.seq < messages.seq)
                WHERE conversation_id = ?
                """, [.integer(dayOne), .text(id)])
        }
        // The late conversation: its question, then the agent's answer `lateAnswer` later.
        let lateAuthors = try await application.database.read { connection in
            try connection.query("SELECT author FROM messages WHERE conversation_id = ? ORDER BY seq", [.text(late)])
                .map { try $0.get("author", as: String.self) }
        }
        #expect(lateAuthors == ["visitor", "agent"])
        try await execute(
            application,
            """
            UPDATE messages SET created_at = CASE WHEN author = 'agent' THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
            WHERE conversation_id = ?
            """, [.integer(dayOne + 1_000 + lateAnswer), .integer(dayOne + 1_000), .text(late)])
        return Conversations(
            web: web, fast: fast, slow: slow, proactive: proactive, templateID: templateID, variant: variant,
            matched: matched, late: late)
    }
}
