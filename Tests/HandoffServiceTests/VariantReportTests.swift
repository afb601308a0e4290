import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// The A/B test of templates end to end (API.md "Templates", "Identity, attribution, outcomes,
/// reports"): proactive texts of two templates with variants sent through the API, outcomes
/// recorded on some of their conversations, and the by-variant report's counts, Wilson intervals
/// and p-values against the first variant of each template checked against statsmodels.
@Suite struct VariantReportTests {
    struct Expected: Decodable {
        let low: Double
        let high: Double
        let p: Double?
    }

    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with statsmodels (make test sets it)"),
        arguments: Backend.available)
    func eachContactKeepsOneVariantAndTheReportTestsEachAgainstItsTemplatesFirst(backend: Backend) async throws {
        switch backend {
        case .sqlite: try await Self.checkTheReport { _ in }
        case .postgresql:
            try await ScratchDatabase.with { scratch in try await Self.checkTheReport { $0.databasePath = scratch.uri }
            }
        }
    }

    /// Sends both tests on an application (SQLite unless `database` says otherwise) and checks
    /// the by-variant report, JSON and CSV.
    static func checkTheReport(database: (inout Configuration) -> Void) async throws {
        try await TestApplication.inProcess({
            Templates.configure(&$0)
            database(&$0)
        }) { _, client, _ in
            let sent = try await ABTests.send(client)
            let (trials, conversions) = (sent.trials, sent.conversions)

            let now = Date()
            let format = ISO8601DateFormatter()
            let range =
                "from=\(format.string(from: now.addingTimeInterval(-3600)))&to=\(format.string(from: now.addingTimeInterval(3600)))"
            let response = try await client.request(
                "GET", "/v1/reports/funnel?\(range)&by=variant", headers: API.agent)
            #expect(response.status == 200, "\(response.body)")
            let rows = try #require(response.json?["rows"] as? [[String: Any]])
            #expect(rows.count == trials.count)

            // statsmodels on the same counts: each arm against its template's first variant.
            let arms = trials.keys.sorted { ($0.template, $0.variant) < ($1.template, $1.variant) }
            let cases = try arms.map { arm -> [Int] in
                let control = ABTests.Arm(template: arm.template, variant: "a")
                return [
                    conversions[arm, default: 0], try #require(trials[arm]), conversions[control, default: 0],
                    try #require(trials[control]),
                ]
            }
            let oracle = try PythonOracle.runJSON(script: "proportions.py", input: cases, as: [Expected].self)
            for (arm, expected) in zip(arms, oracle) {
                let row = try #require(
                    rows.first { $0["key"] as? String == arm.variant && $0["template_id"] as? String == arm.template })
                #expect(
                    row["conversations"] as? Int == trials[arm]
                        && row["converted"] as? Int == conversions[arm, default: 0])
                let low = try #require(row["conversion_low"] as? Double)
                let high = try #require(row["conversion_high"] as? Double)
                #expect(abs(low - expected.low) <= 1e-12 && abs(high - expected.high) <= 1e-12, "\(arm)")
                if arm.variant == "a" {
                    #expect(row["p_value"] is NSNull, "the control has no p-value: \(arm)")
                } else if let p = expected.p {
                    let ours = try #require(row["p_value"] as? Double, "\(arm)")
                    #expect(abs(ours - p) <= 1e-12 + 1e-9 * p, "\(arm): ours \(ours), statsmodels \(p)")
                } else {
                    #expect(row["p_value"] is NSNull, "undefined: \(arm)")
                }
            }
            // Rows by key, then template.
            let order = rows.map { "\($0["key"] as? String ?? "")/\($0["template_id"] as? String ?? "")" }
            #expect(order == order.sorted())

            // The CSV carries the same p-values and templates.
            let csv = try await client.request("GET", "/v1/reports/funnel.csv?\(range)&by=variant", headers: API.agent)
            let lines = csv.body.split(separator: "\r\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            let header = try #require(lines.first)
            #expect(Array(header.suffix(4)) == ["conversion_low", "conversion_high", "p_value", "template_id"])
            #expect(lines.count == rows.count + 1)
            for (line, row) in zip(lines.dropFirst(), rows) {
                #expect(line.count == header.count && line.last == row["template_id"] as? String)
                let p = line[header.count - 2]
                if let value = row["p_value"] as? Double {
                    #expect(abs((Double(p) ?? -1) - value) <= 1e-15, "\(line)")
                } else {
                    #expect(row["p_value"] is NSNull && p.isEmpty, "\(line)")
                }
            }
        }
    }
}

/// The comparison of variants on hand-made rows: which rows get a p-value, and against which.
@Suite struct VariantComparisonTests {
    static func row(_ variant: String?, of template: String?, converted: Int, of conversations: Int) -> FunnelRowJSON {
        var row = FunnelRowJSON(key: variant, templateID: template)
        row.conversations = conversations
        row.converted = converted
        return row
    }

    @Test func eachVariantAgainstItsOwnTemplatesFirstOnly() throws {
        let rows = VariantComparison.withPValues(
            [
                Self.row("a", of: "t1", converted: 10, of: 100), Self.row("b", of: "t1", converted: 20, of: 100),
                Self.row("a", of: "t2", converted: 20, of: 100), Self.row("b", of: "t2", converted: 20, of: 100),
                // t3's first variant has no row in the range; t4 has no variants any more; no variant at all.
                Self.row("b", of: "t3", converted: 5, of: 50), Self.row("x", of: "t4", converted: 5, of: 50),
                Self.row(nil, of: nil, converted: 5, of: 50),
                // t5: nobody converted in either arm, so the test is undefined.
                Self.row("a", of: "t5", converted: 0, of: 30), Self.row("b", of: "t5", converted: 0, of: 40),
            ], controls: ["t1": "a", "t2": "a", "t3": "a", "t5": "a"])
        let p = rows.map(\.pValue)
        let expected = Proportion(successes: 20, trials: 100).pValue(against: Proportion(successes: 10, trials: 100))
        #expect(p[1] == expected && expected != nil)
        #expect(p[3] == 1, "t2's b equals t2's a, not t1's")
        #expect(p[0] == nil && p[2] == nil && p[7] == nil, "the controls")
        #expect(p[4] == nil && p[5] == nil && p[6] == nil && p[8] == nil)
    }
}
