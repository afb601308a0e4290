import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// The A/B test of templates end to end (API.md "Templates", "Identity, attribution, outcomes,
/// reports"): proactive texts of two templates with variants sent through the API, outcomes
/// recorded on some of their conversations, and the by-variant report's counts, Wilson intervals
/// and p-values against the first variant of each template checked against statsmodels.
@Suite struct VariantReportTests {
    /// Three variants of `ab_reminder` (control `a`) and two of `ab_followup`, whose `a` is another arm.
    static let templates = [
        ("ab_reminder", ["a", "b", "c"]),
        ("ab_followup", ["a", "z"]),
    ]

    static func createApproved(_ name: String, variants: [String], _ client: HTTPTestClient) async throws -> String {
        let variantList = variants.map { #"{"id":"\#($0)","body":"{{brand}}: hello (\#($0)).","weight":1}"# }
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: """
                {"name":"\(name)","program":"reminders","locale":"en","body":"{{brand}}: hello.",
                 "variants":[\(variantList.joined(separator: ","))]}
                """)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(Templates.template(created)["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: Templates.admin)
        #expect(approved.status == 200, "\(approved.body)")
        return id
    }

    static func send(_ template: String, to phone: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        let sent = try await client.request(
            "POST", "/v1/outbound", headers: API.agent,
            body: #"{"to":"\#(phone)","program":"reminders","template":"\#(template)"}"#)
        #expect(sent.status == 202, "\(sent.body)")
        return try #require(sent.json?["outbound"] as? [String: Any])
    }

    /// One arm's expected counts: conversations and those converted.
    struct Arm: Hashable {
        var template: String
        var variant: String
    }

    struct Expected: Decodable {
        let low: Double
        let high: Double
        let p: Double?
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with statsmodels (make test sets it)"))
    func eachContactKeepsOneVariantAndTheReportTestsEachAgainstItsTemplatesFirst() async throws {
        try await TestApplication.inProcess({
            $0.programs = Templates.programs
            $0.adminAPIKeys = [Templates.adminKey]
            $0.brandName = "Acme Dental"
        }) { _, client, _ in
            var templateIDs: [String: String] = [:]
            for (name, variants) in Self.templates {
                templateIDs[name] = try await Self.createApproved(name, variants: variants, client)
            }
            var trials: [Arm: Int] = [:]
            var conversions: [Arm: Int] = [:]
            // 60 contacts on the first template, 24 on the second; arm i converts every (i + 2)th
            // of its contacts, so the arms' conversion differs.
            for index in 0..<84 {
                let phone = "+1415555\(2000 + index)"
                let (name, variants) = index < 60 ? Self.templates[0] : Self.templates[1]
                let templateID = try #require(templateIDs[name])
                let optedIn = try await client.request(
                    "POST", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents",
                    headers: API.agent, body: Templates.paperOptIn())
                #expect(optedIn.status == 201, "\(optedIn.body)")
                let first = try await Self.send(name, to: phone, client)
                let variant = try #require(first["variant"] as? String)
                let conversation = try #require(first["conversation_id"] as? String)
                // The same contact gets the same variant again, on the same conversation; the
                // text and the conversation both record it.
                let again = try await Self.send(name, to: phone, client)
                #expect(again["variant"] as? String == variant && again["conversation_id"] as? String == conversation)
                let stored = try await client.request(
                    "GET", "/v1/outbound/\(try #require(again["id"] as? String))", headers: API.agent)
                #expect((stored.json?["outbound"] as? [String: Any])?["variant"] as? String == variant)
                let thread = try await client.request("GET", "/v1/conversations/\(conversation)", headers: API.agent)
                let origin = thread.json?["proactive"] as? [String: Any]
                #expect(origin?["variant"] as? String == variant && origin?["template_id"] as? String == templateID)
                #expect(
                    origin?["outbound_id"] as? String == first["id"] as? String
                        && origin?["program"] as? String == "reminders")

                let arm = Arm(template: templateID, variant: variant)
                let ordinal = trials[arm, default: 0]
                trials[arm] = ordinal + 1
                let armIndex = try #require(variants.firstIndex(of: variant))
                if ordinal % (armIndex + 2) == 0 {
                    let recorded = try await client.request(
                        "POST", "/v1/conversations/\(conversation)/outcomes", headers: API.agent,
                        body: #"{"type":"booked"}"#)
                    #expect(recorded.status == 201, "\(recorded.body)")
                    conversions[arm, default: 0] += 1
                }
            }
            // Every arm was drawn (FNV-1a over 84 contacts).
            #expect(trials.count == 5, "\(trials)")

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
                let control = Arm(template: arm.template, variant: "a")
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
