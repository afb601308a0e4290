import Foundation
import HandoffService
import Logging
import TestSupport
import Testing

/// The widget and demo page in a real headless Chromium (Selenium), against a live server.
@Suite struct WidgetBrowserTests {
    static let chromedriver = "/usr/bin/chromedriver"

    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: chromedriver), "needs Debian's chromium-driver"))
    func visitorChatsSeesTheAgentLiveAndTakesTheChatOnTheGo() async throws {
        let screenshot = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/widget-failure.png")
        try FileManager.default.createDirectory(
            at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await TestApplication.live { _, client, _ in
            let output = try await offPool {
                try PythonOracle.run(
                    script: "widget_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", TestApplication.apiKey, screenshot.path])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(summary["conversation_found"] as? Bool == true)
            #expect(summary["input_labelled"] as? Bool == true)
            #expect(summary["phone_field_shown"] as? Bool == true)
            #expect((summary["mobile_panel_width"] as? Int ?? 999) <= 375, "full width on a phone-sized viewport")
            #expect((summary["reply_latency_ms"] as? Int ?? 99_999) < 2000)
            #expect((summary["consent_text"] as? String)?.contains("Msg & data rates may apply") == true)
            #expect(summary["code_received"] as? Bool == true)
            #expect(summary["handoff_active"] as? Bool == true, "verified from the browser, texts continue")
            #expect(summary["stopped_from_widget"] as? Bool == true, "and stopped from the widget")
        }
    }

    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: chromedriver), "needs Debian's chromium-driver"))
    func theOpenWidgetCoversNoControlOfTheDemoAtDesktopSizes() async throws {
        let screenshots = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/demo-layout")
        try FileManager.default.createDirectory(
            at: screenshots.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await TestApplication.live { _, client, _ in
            let output = try await offPool {
                try PythonOracle.run(
                    script: "demo_layout_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", TestApplication.apiKey, screenshots.path])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(summary["viewports"] as? [[Int]] == [[1280, 800], [1920, 1080]])
            #expect((summary["covered"] as? [Any])?.isEmpty == true, "covered: \(summary["covered"] ?? "-")")
        }
    }

    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: chromedriver), "needs Debian's chromium-driver"))
    func theWidgetOffersTextsAtTheGoldenWindow() async throws {
        let screenshot = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/offer-failure.png")
        try FileManager.default.createDirectory(
            at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await TestApplication.live { _, client, _ in
            let output = try await offPool {
                try PythonOracle.run(
                    script: "offer_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", TestApplication.apiKey, screenshot.path])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(summary["offer_before_offer_after"] as? Int == 0, "not before offer_after")
            let slow = summary["slow_answer_offer_after_s"] as? Double ?? 0
            #expect(slow >= 2 && slow < 6, "after offer_after (2 s): \(slow) s")
            #expect(summary["card_text"] as? String == "Can we text you the answer?")
            #expect(summary["card_role"] as? String == "status" && summary["card_live"] as? String == "polite")
            #expect(summary["tab_order"] as? [String] == ["phone", "consent", "primary", "link decline"])
            #expect(summary["declined_by_keyboard"] as? Bool == true)
            #expect(summary["offers_after_no_thanks"] as? Int == 0, "No thanks keeps it away")
            #expect((summary["tab_hidden_offer_after_s"] as? Double ?? 99) < 5, "hiding the tab offers at once")
            #expect(summary["offers_before_agent"] as? Int == 0)
            #expect((summary["agent_offer_latency_ms"] as? Int ?? 99_999) < 3000, "the agent's offer arrives live")
            #expect(summary["code_received"] as? Bool == true && summary["handoff_active"] as? Bool == true)
            #expect(summary["card_gone_after_request"] as? Bool == true)
            #expect(summary["answer_by_text"] as? Bool == true, "the pending answer goes to the phone")
        }
    }
}
