import DatabaseDriver
import Foundation
import GatewaySimulator
import HandoffCore
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// The funnel report (API.md "Identity, attribution, outcomes, reports") over a small history
/// made through the API, its times then pinned in the database so each column is known exactly.
@Suite struct FunnelReportTests {
    static let dayOne: Int64 = 1_764_579_600_000  // 2025-12-01T09:00:00Z
    static let dayTwo: Int64 = dayOne + 86_400_000
    static let range = "from=2025-12-01T00:00:00Z&to=2025-12-03T00:00:00Z"

    /// The conversations of the history.
    struct History {
        /// Web only, campaign `spring`, on day two: two questions answered after 5 s and 90 s, resolved.
        var web: String
        /// Handed off 30 s after the offer, converted for 3000 cents.
        var fast: String
        /// Handed off 120 s after the offer, escalated, then STOP.
        var slow: String
        /// A proactive text (campaign `winter`) answered by the customer, converted for 12500 cents.
        var proactive: String
        var templateID: String
        var variant: String
    }

    static func report(_ by: String, _ client: HTTPTestClient) async throws -> [String?: [String: Any]] {
        let response = try await client.request("GET", "/v1/reports/funnel?\(range)&by=\(by)", headers: API.agent)
        #expect(response.status == 200, "\(response.body)")
        let rows = try #require(response.json?["rows"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["key"] as? String, $0) })
    }

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
    ) async throws -> History {
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

        for (id, cents) in [(proactive, 12_500), (fast, 3_000)] {
            let recorded = try await client.request(
                "POST", "/v1/conversations/\(id)/outcomes", headers: API.agent,
                body: #"{"type":"paid","value_cents":\#(cents),"currency":"USD"}"#)
            #expect(recorded.status == 201)
        }
        // Every text of ours delivered (the simulator reports sent, then delivered).
        #expect(
            try await eventually {
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
        for id in [fast, slow, proactive] {
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
        return History(
            web: web, fast: fast, slow: slow, proactive: proactive, templateID: templateID, variant: variant)
    }

    /// The response columns of conversations whose messages are one second apart, from their
    /// authors: each customer message's wait for the next bot or agent message, and whether any
    /// answer (system messages included) came at all (within a second).
    static func responses(
        _ ids: [String], _ application: HandoffApplication
    ) async throws -> (waits: [Int64], answered: Int) {
        var waits: [Int64] = []
        var answered = 0
        for id in ids {
            let authors = try await application.database.read { connection in
                try connection.query("SELECT author FROM messages WHERE conversation_id = ? ORDER BY seq", [.text(id)])
                    .map { try $0.get("author", as: String.self) }
            }
            for (index, author) in authors.enumerated() where author == "visitor" {
                let later = authors[(index + 1)...]
                if later.first != nil { answered += 1 }
                if let reply = later.firstIndex(where: { $0 == "bot" || $0 == "agent" }) {
                    waits.append(Int64(reply - index) * 1000)
                }
            }
        }
        return (waits.sorted(), answered)
    }

    static func percentile(_ sorted: [Int64], _ percent: Double) -> Int? {
        sorted.isEmpty ? nil : Int(sorted[Int((Double(sorted.count) * percent / 100).rounded(.up)) - 1])
    }

    @Test func everyColumnCountsTheStoredFactsOfTheRange() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("funnel.sqlite").path
        let before = try await Self.checkEveryColumn { $0.databasePath = path }
        // Another application on the same database (a restart) reports exactly the same.
        try await TestApplication.inProcess({ $0.databasePath = path }) { _, client, _ in
            let after = try await Self.bodies(client)
            #expect(after == before)
        }
    }

    /// Every report of the range, JSON and CSV, by each key.
    static func bodies(_ client: HTTPTestClient) async throws -> [String] {
        var bodies: [String] = []
        for by in ["program", "template", "variant", "campaign", "queue", "day"] {
            for path in ["/v1/reports/funnel", "/v1/reports/funnel.csv"] {
                let response = try await client.request("GET", "\(path)?\(range)&by=\(by)", headers: API.agent)
                #expect(response.status == 200)
                bodies.append(response.body)
            }
        }
        return bodies
    }

    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func theSameOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            _ = try await Self.checkEveryColumn { $0.databasePath = scratch.uri }
        }
    }

    /// Builds the history on an application (on SQLite unless `database` says otherwise) and
    /// checks every column of its report, by each key, as JSON and CSV; returns `bodies`.
    @discardableResult
    static func checkEveryColumn(database: (inout Configuration) -> Void = { _ in }) async throws -> [String] {
        var bodies: [String] = []
        try await TestApplication.live({
            $0.programs = Templates.programs
            $0.adminAPIKeys = [Templates.adminKey]
            $0.brandName = "Acme Dental"
            database(&$0)
        }) { application, client, simulator in
            let history = try await Self.build(application, client, simulator)

            // By day: the web conversation alone on day two.
            let days = try await Self.report("day", client)
            #expect(days.count == 2)
            let dayTwo = try #require(days["2025-12-02"])
            let webColumns: [String: Int?] = [
                "conversations": 1, "handoffs_offered": 0, "handoffs_verified": 0, "verified_within_90s": 0,
                "sent": 0, "delivered": 0, "replied": 0, "escalated": 0, "first_response_ms_p50": 5_000,
                "first_response_ms_p90": 90_000, "answered_within_60s": 1, "resolved": 1, "converted": 0,
                "revenue_cents": 0, "opt_outs": 0,
            ]
            for (column, value) in webColumns { #expect(dayTwo[column] as? Int == value, "\(column)") }

            let dayOne = try #require(days["2025-12-01"])
            let (waits, answered) = try await Self.responses(
                [history.fast, history.slow, history.proactive], application)
            let dayOneColumns: [String: Int?] = [
                "conversations": 3, "handoffs_offered": 2, "handoffs_verified": 2, "verified_within_90s": 1,
                "sent": 3, "delivered": 3, "replied": 2, "escalated": 1,
                "first_response_ms_p50": Self.percentile(waits, 50),
                "first_response_ms_p90": Self.percentile(waits, 90), "answered_within_60s": answered, "resolved": 0,
                "converted": 2, "revenue_cents": 15_500, "opt_outs": 1,
            ]
            for (column, value) in dayOneColumns { #expect(dayOne[column] as? Int == value, "\(column)") }
            #expect(!waits.isEmpty && answered > 0)

            // By program: the proactive text's program, `chat` for the others.
            let programs = try await Self.report("program", client)
            #expect(Set(programs.keys) == ["chat", "reminders"])
            #expect(
                programs["chat"]?["conversations"] as? Int == 3 && programs["reminders"]?["conversations"] as? Int == 1)
            #expect(programs["chat"]?["revenue_cents"] as? Int == 3_000)
            #expect(programs["chat"]?["verified_within_90s"] as? Int == 1)
            let templates = try await Self.report("template", client)
            #expect(templates[history.templateID]?["replied"] as? Int == 1)
            #expect(templates[nil]?["conversations"] as? Int == 3)

            // By campaign: the web conversation's and the proactive text's.
            let campaigns = try await Self.report("campaign", client)
            #expect(campaigns["spring"]?["first_response_ms_p90"] as? Int == 90_000)
            #expect(campaigns["winter"]?["revenue_cents"] as? Int == 12_500)
            #expect(campaigns[nil]?["conversations"] as? Int == 2 && campaigns[nil]?["opt_outs"] as? Int == 1)

            // By variant: the conversion and its Wilson interval.
            let variants = try await Self.report("variant", client)
            let chosen = try #require(variants[history.variant])
            #expect(chosen["converted"] as? Int == 1 && chosen["conversations"] as? Int == 1)
            let interval = try #require(Proportion(successes: 1, trials: 1).wilsonInterval())
            #expect(chosen["conversion_low"] as? Double == interval.low)
            #expect(chosen["conversion_high"] as? Double == interval.high)
            // 1 of 1: [1 / (1 + z²), 1].
            #expect(abs(interval.low - 1 / (1 + Proportion.z95 * Proportion.z95)) < 1e-12 && interval.high == 1)
            let unattributed = try #require(variants[nil])
            #expect(unattributed["converted"] as? Int == 1 && unattributed["conversations"] as? Int == 3)
            let low = try #require(unattributed["conversion_low"] as? Double)
            #expect(abs(low - (Proportion(successes: 1, trials: 3).wilsonInterval()?.low ?? -1)) < 1e-15)
            #expect(days["2025-12-01"]?["conversion_low"] == nil)

            // The CSV says the same.
            let csv = try await client.request(
                "GET", "/v1/reports/funnel.csv?\(Self.range)&by=variant", headers: API.agent)
            #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            let lines = csv.body.split(separator: "\r\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false)
            }
            let header = try #require(lines.first).map(String.init)
            #expect(header.first == "key" && header.last == "conversion_high" && header.count == 18)
            #expect(lines.count == 1 + variants.count)
            for line in lines.dropFirst() {
                let key = line[0].isEmpty ? nil : String(line[0])
                let row = try #require(variants[key])
                for (column, cell) in zip(header, line) where column != "key" {
                    let expected = row[column].map { $0 is NSNull ? "" : "\($0)" } ?? "missing"
                    #expect(String(cell) == expected || Double(cell) == row[column] as? Double, "\(column)")
                }
            }
            bodies = try await Self.bodies(client)
        }
        return bodies
    }

    @Test func refusals() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let refused: [(String, String, String)] = [
                ("to=2025-12-03T00:00:00Z&by=day", "missing_field", "from"),
                ("from=2025-12-01T00:00:00Z&by=day", "missing_field", "to"),
                ("from=2025-12-01T00:00:00Z&to=2025-12-03T00:00:00Z", "missing_field", "by"),
                ("from=yesterday&to=2025-12-03T00:00:00Z&by=day", "invalid_field", "from"),
                ("from=2025-12-01T00:00:00Z&to=2025-12-32T00:00:00Z&by=day", "invalid_field", "to"),
                ("from=2025-12-03T00:00:00Z&to=2025-12-03T00:00:00Z&by=day", "invalid_field", "to"),
                ("from=2025-12-03T00:00:00Z&to=2025-12-01T00:00:00Z&by=day", "invalid_field", "to"),
                ("from=2024-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&by=day", "invalid_field", "to"),
                ("from=2025-12-01T00:00:00Z&to=2025-12-03T00:00:00Z&by=week", "invalid_field", "by"),
            ]
            for path in ["/v1/reports/funnel", "/v1/reports/funnel.csv"] {
                for (query, code, field) in refused {
                    let response = try await client.request("GET", "\(path)?\(query)", headers: API.agent)
                    #expect(response.status == 422 && API.errorCode(response) == code, "\(query)")
                    #expect(API.errorField(response) == field, "\(query)")
                }
                let anonymous = try await client.request("GET", "\(path)?\(Self.range)&by=day")
                #expect(anonymous.status == 401)
            }
            // A full year (366 days) is allowed, and an empty range has no rows.
            let year = try await client.request(
                "GET", "/v1/reports/funnel?from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&by=day",
                headers: API.agent)
            #expect(year.status == 200 && (year.json?["rows"] as? [Any])?.isEmpty == true)
        }
    }
}

/// The parts of the report computed in Swift, on hand-made input.
@Suite struct FunnelComputationTests {
    @Test func responseTimesStayWithinTheirConversation() {
        func message(_ conversation: Int64, _ key: String?, _ author: String, _ at: Int64) -> FunnelMessage {
            FunnelMessage(conversation: conversation, key: key, author: author, createdAt: at)
        }
        let times = ResponseTimes([
            // 1 (key a): two questions, answered by one bot message after 2 s and 1 s; then an unanswered one.
            message(1, "a", "visitor", 0), message(1, "a", "visitor", 1_000), message(1, "a", "bot", 2_000),
            message(1, "a", "visitor", 3_000),
            // 2 (key b): a system notice within 60 s (answered, no first response), then an agent after 70 s.
            message(2, "b", "bot", 0), message(2, "b", "visitor", 10_000), message(2, "b", "system", 20_000),
            message(2, "b", "agent", 80_000),
            // 3 (key a): a question whose answer is in the next conversation only.
            message(3, "a", "visitor", 90_000), message(4, nil, "agent", 91_000),
        ])
        #expect(times["a"].firstResponses.sorted() == [1_000, 2_000] && times["a"].answeredWithin60s == 2)
        #expect(times["b"].firstResponses == [70_000] && times["b"].answeredWithin60s == 1)
        #expect(times[nil].firstResponses.isEmpty && times[nil].answeredWithin60s == 0)
        #expect(times["c"].firstResponses.isEmpty && times["c"].answeredWithin60s == 0)
    }

    @Test func percentilesAreNearestRank() {
        #expect(FunnelRowJSON.percentile([], 50) == nil)
        #expect(FunnelRowJSON.percentile([7], 90) == 7)
        let hundred = (1...100).map(Int64.init)
        #expect(FunnelRowJSON.percentile(hundred, 50) == 50 && FunnelRowJSON.percentile(hundred, 90) == 90)
        #expect(FunnelRowJSON.percentile([1, 2, 3], 50) == 2 && FunnelRowJSON.percentile([1, 2, 3], 90) == 3)
    }

    @Test func csvQuotesKeysThatNeedIt() {
        var row = FunnelRowJSON(key: #"spring, "vip""#)
        row.conversations = 2
        let other = FunnelRowJSON(key: nil)
        let csv = FunnelCSV.render([row, other], withInterval: false)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[1] == #""spring, ""vip""",2,0,0,0,0,0,0,0,,,0,0,0,0,0"#)
        #expect(lines[2] == ",0,0,0,0,0,0,0,0,,,0,0,0,0,0")
    }
}
