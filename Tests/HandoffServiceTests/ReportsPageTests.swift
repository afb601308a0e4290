import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// The `/reports` page (API.md "Identity, attribution, outcomes, reports").
@Suite struct ReportsPageTests {
    static let chromedriver = "/usr/bin/chromedriver"

    @Test func thePageAndItsScriptAreServedFromTheBinary() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let page = try await client.request("GET", "/reports")
            #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains(#"<script src="/reports.js"></script>"#))
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            let script = try await client.request("GET", "/reports.js")
            #expect(script.status == 200 && script.header("Content-Type") == "text/javascript; charset=utf-8")
            #expect(script.body.contains("/v1/reports/funnel"))
            // Drawn by the page itself: no address elsewhere but the SVG namespace's.
            for body in [page.body, script.body] {
                let addresses = body.matches(of: /https?:\/\/[^"' )]+/).map { String($0.output) }
                #expect(addresses.allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(addresses)")
            }
        }
    }

    /// The scripted conversations of `FunnelHistory` (web only, handed off, proactive with a
    /// matched and an unmatched reply, escalated and answered late, opted out, converted with a
    /// value), then a restart on the same database: in headless Chromium at 1280×800 every number
    /// the page shows equals the API's (reports_check.py), and the funnel's are those counted here.
    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: chromedriver), "needs Debian's chromium-driver"))
    func thePageShowsTheAPIsNumbersAfterARestart() async throws {
        let screenshot = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/reports-failure.png")
        try FileManager.default.createDirectory(
            at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        let directory = try TemporaryDirectory()
        let path = directory.file("reports.sqlite").path
        try await TestApplication.live({
            Templates.configure(&$0)
            $0.databasePath = path
        }) { application, client, simulator in
            _ = try await FunnelHistory.build(application, client, simulator)
        }
        // A restart on the same database.
        try await TestApplication.live({ $0.databasePath = path }) { _, client, _ in
            let output = try await offPool {
                try PythonOracle.run(
                    script: "reports_check.py", input: Data(),
                    arguments: [
                        "http://127.0.0.1:\(client.port)", TestApplication.apiKey, "2025-12-01", "2025-12-02",
                        screenshot.path,
                    ])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect((summary["mismatches"] as? [Any])?.isEmpty == true, "\(summary["mismatches"] ?? "-")")
            // By hand: the web conversation on day two; on day one two handoffs (one verified within
            // 90 s, then escalated and STOP), two proactive texts (both replied to), the late one.
            let expected = [
                "conversations": "6", "handoffs_offered": "2", "handoffs_verified": "2", "verified_within_90s": "1",
                "sent": "4", "delivered": "4", "replied": "3", "escalated": "2", "resolved": "1", "converted": "2",
                "opt_outs": "1",
            ]
            #expect(summary["bars"] as? [String: String] == expected)
            #expect(summary["bars_scale"] as? Bool == true, "bar lengths proportional to their values")
            #expect((summary["figures"] as? [String: String])?["revenue_cents"] == "155.00")
            // Two days by six series, but a time only on the days with an answered message (both).
            #expect(summary["points"] as? Int == 12)
            #expect(summary["template_rows"] as? Int == 3 && summary["variant_rows"] as? Int == 2)
            #expect(summary["csv_saved_lines"] as? Int == 3, "the header and both variant rows")
            #expect(summary["key_field_focused"] as? Bool == true && summary["key_field_label"] as? String == "API key")
            #expect(summary["signed_in_key_kept"] as? Bool == true)
            #expect(summary["wrong_key_alert"] as? String == "That key was refused: sign in again.")
            #expect(
                summary["tab_order"] as? [String] == [
                    "from", "to", "Show", "day", "The daily numbers as a table", "template", "variant",
                ])
            #expect((summary["page_width"] as? Int ?? 9_999) <= 1280, "no horizontal scrolling at 1280×800")
            #expect((summary["funnel_width"] as? Double ?? 0) >= 1000)
            #expect(summary["empty_range_conversations"] as? String == "0")
        }
    }

    /// The UTC day of `date`, YYYY-MM-DD.
    static func day(_ date: Date) -> String { String(ISO8601DateFormatter().string(from: date).prefix(10)) }

    /// The A/B tests of `ABTests` (five arms of two templates): the page shows each
    /// variant's conversion, interval and p-value as the API has them.
    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: chromedriver), "needs Debian's chromium-driver"))
    func thePageShowsEachVariantsPValue() async throws {
        let screenshot = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/reports-variants-failure.png")
        try FileManager.default.createDirectory(
            at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await TestApplication.live(Templates.configure) { _, client, _ in
            _ = try await ABTests.send(client)
            let (yesterday, tomorrow) = (Date() - 86_400, Date() + 86_400)
            let (from, to) = (Self.day(yesterday), Self.day(tomorrow))
            // The simulator reports deliveries as they come: the page and the API are read
            // apart in time, so both must see every text delivered first.
            let settled = try await eventually {
                let rows =
                    try await client.request(
                        "GET", "/v1/reports/funnel?from=\(from)T00:00:00Z&to=\(to)T00:00:00Z&by=day", headers: API.agent
                    ).json?["rows"] as? [[String: Any]] ?? []
                let (sent, delivered) = rows.reduce((0, 0)) {
                    ($0.0 + ($1["sent"] as? Int ?? 0), $0.1 + ($1["delivered"] as? Int ?? 0))
                }
                return sent == 84 && delivered == sent
            }
            #expect(settled, "every text delivered before the page is read")
            let output = try await offPool {
                try PythonOracle.run(
                    script: "reports_check.py", input: Data(),
                    arguments: [
                        "http://127.0.0.1:\(client.port)", TestApplication.apiKey, from, to,
                        screenshot.path,
                    ])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect((summary["mismatches"] as? [Any])?.isEmpty == true, "\(summary["mismatches"] ?? "-")")
            #expect(summary["variant_rows"] as? Int == 5)
            // Three arms are compared with their template's first variant.
            #expect(summary["p_values_shown"] as? Int == 3)
        }
    }
}
