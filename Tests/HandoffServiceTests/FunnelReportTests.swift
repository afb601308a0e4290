import DatabaseDriver
import Foundation
import GatewaySimulator
import HandoffCore
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// The funnel report (API.md "Identity, attribution, outcomes, reports") over `FunnelHistory`, a
/// small history made through the API, its times then pinned so each column is known exactly.
@Suite struct FunnelReportTests {
    static func report(_ by: String, _ client: HTTPTestClient) async throws -> [String?: [String: Any]] {
        let response = try await client.request(
            "GET", "/v1/reports/funnel?\(FunnelHistory.range)&by=\(by)", headers: API.agent)
        #expect(response.status == 200, "\(response.body)")
        let rows = try #require(response.json?["rows"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["key"] as? String, $0) })
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
                let response = try await client.request(
                    "GET", "\(path)?\(FunnelHistory.range)&by=\(by)", headers: API.agent)
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
            Templates.configure(&$0)
            database(&$0)
        }) { application, client, simulator in
            let history = try await FunnelHistory.build(application, client, simulator)

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
            // The messages one second apart, and the late answer.
            let (secondApart, answered) = try await Self.responses(
                [history.fast, history.slow, history.proactive, history.matched], application)
            let waits = (secondApart + [FunnelHistory.lateAnswer]).sorted()
            let dayOneColumns: [String: Int?] = [
                "conversations": 5, "handoffs_offered": 2, "handoffs_verified": 2, "verified_within_90s": 1,
                "sent": 4, "delivered": 4, "replied": 3, "escalated": 2,
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
                programs["chat"]?["conversations"] as? Int == 4 && programs["reminders"]?["conversations"] as? Int == 2)
            #expect(programs["chat"]?["revenue_cents"] as? Int == 3_000)
            #expect(programs["chat"]?["verified_within_90s"] as? Int == 1)
            let templates = try await Self.report("template", client)
            #expect(templates[history.templateID]?["replied"] as? Int == 1)
            #expect(templates[nil]?["conversations"] as? Int == 4)
            // Each proactive text's template, and the STOP among the conversations without one.
            #expect(templates.values.compactMap { $0["replied"] as? Int } == [1, 1, 1])

            // By campaign: the web conversation's and the proactive text's.
            let campaigns = try await Self.report("campaign", client)
            #expect(campaigns["spring"]?["first_response_ms_p90"] as? Int == 90_000)
            #expect(campaigns["winter"]?["revenue_cents"] as? Int == 12_500)
            #expect(campaigns[nil]?["conversations"] as? Int == 4 && campaigns[nil]?["opt_outs"] as? Int == 1)

            // By variant: the conversion and its Wilson interval.
            let variants = try await Self.report("variant", client)
            let chosen = try #require(variants[history.variant])
            #expect(chosen["converted"] as? Int == 1 && chosen["conversations"] as? Int == 1)
            // The only arm drawn: the template's first variant or one without it to compare to.
            #expect(chosen["template_id"] as? String == history.templateID && chosen["p_value"] is NSNull)
            let interval = try #require(Proportion(successes: 1, trials: 1).wilsonInterval())
            #expect(chosen["conversion_low"] as? Double == interval.low)
            #expect(chosen["conversion_high"] as? Double == interval.high)
            // 1 of 1: [1 / (1 + z²), 1].
            #expect(abs(interval.low - 1 / (1 + Proportion.z95 * Proportion.z95)) < 1e-12 && interval.high == 1)
            let unattributed = try #require(variants[nil])
            #expect(unattributed["converted"] as? Int == 1 && unattributed["conversations"] as? Int == 5)
            let low = try #require(unattributed["conversion_low"] as? Double)
            #expect(abs(low - (Proportion(successes: 1, trials: 5).wilsonInterval()?.low ?? -1)) < 1e-15)
            #expect(days["2025-12-01"]?["conversion_low"] == nil)

            // The CSV says the same.
            let csv = try await client.request(
                "GET", "/v1/reports/funnel.csv?\(FunnelHistory.range)&by=variant", headers: API.agent)
            #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            let lines = csv.body.split(separator: "\r\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false)
            }
            let header = try #require(lines.first).map(String.init)
            #expect(header.first == "key" && header.last == "template_id" && header.count == 20)
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
                let anonymous = try await client.request("GET", "\(path)?\(FunnelHistory.range)&by=day")
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

/// The parts of the report computed from hand-made rows: the response columns (kept per customer
/// message by the roll-up's triggers, ranked in SQL) and the CSV.
@Suite struct FunnelComputationTests {
    /// Writes conversations (id, campaign) with their messages (author, time, in history order) as
    /// plain rows, then reads the response columns by campaign.
    static func responses(
        _ conversations: [(id: String, campaign: String?, messages: [(author: String, at: Int64)])]
    ) async throws -> [String?: FunnelResponses] {
        var responses: [String?: FunnelResponses] = [:]
        try await TestApplication.inProcess { application, _, _ in
            try await application.database.write { connection in
                try connection.execute("INSERT INTO contacts (id, created_at) VALUES ('ct', 0)")
                for conversation in conversations {
                    try connection.execute(
                        """
                        INSERT INTO conversations (id, contact_id, state, created_at, updated_at, campaign)
                        VALUES (?, 'ct', 'open', 1000, 1000, ?)
                        """, [.text(conversation.id), conversation.campaign.map(DatabaseValue.text) ?? .null])
                    for (index, message) in conversation.messages.enumerated() {
                        let direction = message.author == "visitor" ? "inbound" : "outbound"
                        try connection.execute(
                            """
                            INSERT INTO messages (id, conversation_id, direction, channel, author, body, status,
                                created_at, updated_at)
                            VALUES (?, ?, ?, 'web', ?, 'hi', 'received', ?, ?)
                            """,
                            [
                                .text("\(conversation.id)-\(index)"), .text(conversation.id), .text(direction),
                                .text(message.author), .integer(message.at), .integer(message.at),
                            ])
                    }
                }
            }
            let rows = try await application.database.read { connection in
                try FunnelRepository(connection).responses(from: 0, to: 2000, by: .campaign)
            }
            responses = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        }
        return responses
    }

    @Test func responseTimesStayWithinTheirConversation() async throws {
        let rows = try await Self.responses([
            // a: two questions, answered by one bot message after 2 s and 1 s; then an unanswered one.
            ("c1", "a", [("visitor", 0), ("visitor", 1_000), ("bot", 2_000), ("visitor", 3_000)]),
            // b: a system notice within 60 s (answered, no first response), then an agent after 70 s.
            ("c2", "b", [("bot", 0), ("visitor", 10_000), ("system", 20_000), ("agent", 80_000)]),
            // a: a question whose answer is in the next conversation only.
            ("c3", "a", [("visitor", 90_000)]), ("c4", nil, [("agent", 91_000)]),
        ])
        #expect(rows["a"]?.firstResponseP50 == 1_000 && rows["a"]?.firstResponseP90 == 2_000)
        #expect(rows["a"]?.answeredWithin60s == 2)
        #expect(rows["b"]?.firstResponseP50 == 70_000 && rows["b"]?.answeredWithin60s == 1)
        #expect(rows[nil] == nil && rows["c"] == nil)
    }

    @Test func percentilesAreNearestRank() async throws {
        func waits(_ id: String, _ values: [Int64]) -> (String, String?, [(author: String, at: Int64)]) {
            (id, id, values.flatMap { [("visitor", $0 * 1_000_000), ("bot", $0 * 1_000_000 + $0)] })
        }
        let rows = try await Self.responses([
            waits("one", [7]), waits("hundred", Array(1...100).reversed()), waits("three", [3, 1, 2]),
        ])
        #expect(rows["one"]?.firstResponseP50 == 7 && rows["one"]?.firstResponseP90 == 7)
        #expect(rows["hundred"]?.firstResponseP50 == 50 && rows["hundred"]?.firstResponseP90 == 90)
        #expect(rows["three"]?.firstResponseP50 == 2 && rows["three"]?.firstResponseP90 == 3)
    }

    @Test func csvQuotesKeysThatNeedIt() {
        var row = FunnelRowJSON(key: #"spring, "vip""#)
        row.conversations = 2
        let other = FunnelRowJSON(key: nil)
        let csv = FunnelCSV.render([row, other], byVariant: false)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[1] == #""spring, ""vip""",2,0,0,0,0,0,0,0,,,0,0,0,0,0"#)
        #expect(lines[2] == ",0,0,0,0,0,0,0,0,,,0,0,0,0,0")
    }
}
