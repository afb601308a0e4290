import Foundation
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// `/metrics` after real traffic, parsed by the Prometheus client's own parser.
@Suite struct MetricsTests {
    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with prometheus-client"))
    func exposesTheFunnelTheOutboxAndRefusalsInValidPrometheusText() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550156"
            _ = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "Thanks!")
            _ = try await simulator.reply(from: phone, to: API.sender, body: "One more thing.")
            _ = try await client.request(
                "POST", TwilioWebhookRoutes.inboundPath,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: "MessageSid=SM1&From=%2B14155550156&To=%2B15005550006&Body=forged")
            // The confirmation reaches the phone before the gateway's receipt is counted as sent.
            var text = ""
            let counted = try await eventually {
                text = try await client.request("GET", "/metrics").body
                return Self.sample("handoff_sms_sent_total", in: text) >= 2
            }
            #expect(counted, "both texts counted as sent")
            let exposition = text
            let output = try await offPool {
                try PythonOracle.run(script: "prometheus_parse.py", input: Data(exposition.utf8))
            }
            let samples = try JSONDecoder().decode([String: Double].self, from: output)
            #expect(samples[#"handoff_funnel_total{stage="offered"}"#] == 1)
            #expect(samples[#"handoff_funnel_total{stage="verified"}"#] == 1)
            #expect(samples[#"handoff_funnel_total{stage="first_sms_reply"}"#] == 1, "the second text is not a first")
            #expect(samples[#"handoff_optins_total{method="web_code",step="confirmed"}"#] == 1)
            #expect((samples[#"handoff_sms_sent_total"#] ?? 0) >= 2)
            #expect(
                samples[#"handoff_webhook_signature_failures_total{route="/v1/webhooks/twilio/inbound"}"#] == 1)
            #expect(samples[#"handoff_outbox_depth{kind="sms"}"#] != nil)
            #expect((samples[#"handoff_gateway_send_duration_seconds_count{result="sent"}"#] ?? 0) >= 2)
            #expect(samples[#"handoff_gateway_send_duration_seconds_bucket{le="+Inf",result="sent"}"#] != nil)
            #expect(samples[#"handoff_http_requests_total{method="POST",route="/v1/handoff",status="202"}"#] == 1)
        }
    }

    /// The value of the unlabelled sample `name` in exposition `text` (0 when absent).
    static func sample(_ name: String, in text: String) -> Double {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
            ?? 0
    }
}
