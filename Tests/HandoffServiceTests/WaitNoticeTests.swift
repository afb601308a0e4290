import Foundation
import GatewaySimulator
import HandoffDomain
import TestSupport
import Testing

@testable import HandoffService

/// Wait-time notices: once the customer waiting longest in a queue with `wait_notice_after` has
/// waited that long, each customer waiting there is told once, in their language, never by text
/// to a suppressed number.
@Suite struct WaitNoticeTests {
    static let yaml = """
        queues:
          - name: humans
            wait_notice_after: 2s
        """

    static let notice = "our team is busy"

    @Test(arguments: Backend.available)
    func waitingCustomersAreToldOnceAndASuppressedNumberIsNotTexted(backend: Backend) async throws {
        try await Self.live(on: backend) { _, client, simulator in
            let told = "+14155550161"
            let stopped = "+14155550162"
            _ = try await API.activeSession(told, client, simulator)
            let (_, stoppedConversation) = try await API.activeSession(stopped, client, simulator)
            for phone in [told, stopped] {
                _ = try await simulator.reply(from: phone, to: API.sender, body: "can I talk to a human")
            }
            _ = try await simulator.reply(from: stopped, to: API.sender, body: "STOP")
            let notices = { (phone: String) in simulator.inbox(of: phone).filter { $0.body.contains(Self.notice) } }
            #expect(try await eventually(seconds: 8) { notices(told).count == 1 }, "told by text")
            #expect(notices(told).first?.body.contains("about 1 min") == true, "\(notices(told))")
            try await Task.sleep(for: .milliseconds(2_500))
            #expect(notices(told).count == 1, "once per conversation")
            #expect(notices(stopped).isEmpty, "never a text to a suppressed number")
            let messages = try await client.request(
                "GET", "/v1/conversations/\(stoppedConversation)/messages", headers: API.agent)
            let inChat = (messages.json?["messages"] as? [[String: Any]] ?? []).filter {
                ($0["body"] as? String)?.contains(Self.notice) == true
            }
            #expect(
                inChat.map { $0["channel"] as? String } == ["web"], "told in the web chat instead, not queued as a text"
            )
        }
    }

    /// A queue without `wait_notice_after` tells nobody, however long they wait.
    @Test func aQueueWithoutTheSettingTellsNobody() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550163"
            _ = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "can I talk to a human")
            try await Task.sleep(for: .milliseconds(3_000))
            #expect(!simulator.inbox(of: phone).contains { $0.body.contains(Self.notice) })
        }
    }

    @Test func theNoticeIsInTheContactsLanguage() {
        #expect(SystemTexts(brand: "Shop", locale: "en-US").waitNotice(minutes: 4).contains("about 4 min"))
        let spanish = SystemTexts(brand: "Shop", locale: "es-MX").waitNotice(minutes: 4)
        #expect(spanish.hasPrefix("Shop: nuestro equipo está ocupado") && spanish.contains("unos 4 min"))
    }

    static func live(
        on backend: Backend, _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
        let configure = { (configuration: inout Configuration) in
            configuration.queues = (try? Queues.load(yaml).queues) ?? configuration.queues
        }
        switch backend {
        case .sqlite:
            try await TestApplication.live(configure, body)
        case .postgresql:
            try await ScratchDatabase.with { scratch in
                try await TestApplication.live(
                    {
                        configure(&$0)
                        $0.databasePath = scratch.uri
                    }, body)
            }
        }
    }
}
