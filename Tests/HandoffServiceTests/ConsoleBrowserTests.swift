import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// The agent console (`/console`) in real headless Chromium (Selenium), against a live server: two
/// agents' consoles, two visitors (one on the web, one on the simulated phone).
@Suite struct ConsoleBrowserTests {
    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: WidgetBrowserTests.chromedriver),
            "needs Debian's chromium-driver"))
    func aClaimShowsOnTheOtherConsoleAndTextsFlowBothWays() async throws {
        let screenshots = TestApplication.repositoryRoot.appendingPathComponent(
            ".build/test-artifacts/console-failure")
        try FileManager.default.createDirectory(
            at: screenshots.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await TestApplication.live(Queues.configure) { _, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            let output = try await offPool {
                try PythonOracle.run(
                    script: "console_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", ann.key, bo.key, screenshots.path])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(summary["failed"] as? [String] == [], "screenshots: \(screenshots.path)-a.png, -b.png")
            #expect(summary["signed_in_as"] as? [String] == ["Signed in as Ann", "Signed in as Bo"])
            #expect(summary["shortcuts_listed"] as? Bool == true)
            #expect(summary["unlabelled"] as? [String] == [], "every field labelled, every button named")
            #expect(summary["tab_after_reply"] as? [String] == ["hc-template", "hc-send"])
            #expect(summary["both_listed"] as? Bool == true, "both visitors' conversations on both consoles")
            // Name, last message (routing's holding reply), waiting time, intent, queue, SLA countdown.
            let listed = summary["list_shows"] as? String ?? ""
            for part in ["Dana Web", "waiting", "human request", "humans", "SLA "] {
                #expect(listed.contains(part), "\(part) in \(listed)")
            }
            #expect((summary["b_sees_taken_ms"] as? Int ?? 99_999) < 2000, "B sees A's claim live")
            #expect(summary["b_reloaded"] as? Bool == false)
            #expect((summary["b_detail_owner"] as? String)?.contains("Ann") == true)
            let identity = summary["identity_shown"] as? String ?? ""
            #expect(identity.contains("0123") && !identity.contains("555"), "the masked phone: \(identity)")
            #expect(identity.contains("continues by SMS"))
            #expect((summary["counter_gsm"] as? String)?.contains("GSM-7") == true, "\(summary["counter_gsm"] ?? "-")")
            #expect((summary["counter_ucs2"] as? String)?.contains("UCS-2") == true)
            #expect(summary["reply_on_phone"] as? Bool == true, "the console's reply reaches the phone")
            #expect((summary["phone_text_ms"] as? Int ?? 99_999) < 1000, "a text shows in the open conversation")
            let streamIDs = summary["b_stream_ids"] as? [Any] ?? []
            #expect(streamIDs.count == 2 && streamIDs.first is NSNull, "one reconnect: \(streamIDs)")
            #expect(streamIDs.last is String, "the reconnect says where it left off (Last-Event-ID)")
            #expect(summary["b_streams_when_released"] as? Int == 1, "released while B's stream was cut")
            #expect(summary["b_caught_up_after_drop"] as? Bool == true, "the change made while B was cut off")
            #expect(summary["alt_r_focus"] as? String == "hc-body")
            #expect(summary["alt_l_focus"] is String, "Alt+L focuses a conversation in the list")
            let viewports = summary["viewports"] as? [String: [String: Any]] ?? [:]
            for (name, width) in [("1280x800", 1280), ("768x1024", 768)] {
                #expect((viewports[name]?["scroll_width"] as? Int ?? 99_999) <= width, "\(name): no sideways scroll")
                #expect(viewports[name]?["send_visible"] as? Bool == true, "\(name): the reply box can be reached")
            }
            #expect(viewports["1280x800"]?["columns"] as? Int == 3 && viewports["768x1024"]?["columns"] as? Int == 2)
        }
    }

    /// More open conversations than the ten pages of 200 the console used to stop at: it follows
    /// the list's cursor to the end and lists every one.
    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: WidgetBrowserTests.chromedriver),
            "needs Debian's chromium-driver"))
    func theListHoldsEveryOpenConversationPastTenPages() async throws {
        try await TestApplication.live { application, client, _ in
            let ids = (0..<2_050).map { "conv_many\($0)" }
            try await application.database.write { connection in
                let chat = ChatRepository(connection)
                for (index, id) in ids.enumerated() {
                    try chat.insert(
                        ContactRecord(
                            id: "ct_many\(index)", phoneE164: nil, locale: "en-US", timeZone: nil,
                            displayName: "Visitor \(index)", createdAt: Int64(index)))
                    _ = try chat.insert(
                        ConversationRecord(
                            id: id, contactID: "ct_many\(index)", state: .open, createdAt: Int64(index),
                            updatedAt: Int64(index)))
                }
            }
            let output = try await offPool {
                try PythonOracle.run(
                    script: "console_list_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", TestApplication.apiKey])
            }
            let summary = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            let listed = summary["listed"] as? [String] ?? []
            #expect(listed.count == ids.count && Set(listed) == Set(ids), "\(listed.count) listed")
            #expect(summary["all_open"] as? String == String(ids.count))
        }
    }
}
