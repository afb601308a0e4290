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

    static let templateYAML = """
        queues:
          - name: humans
            wait_notice_after: 2s
            wait_notice_template: busy_queue
        """

    static let englishTemplate = "{{brand}}: all agents busy, about {{minutes}} min"
    static let spanishTemplate = "{{brand}}: agentes ocupados, unos {{minutes}} min"

    /// Creates the `busy_queue` template of the chat program in `locale`; approves it if told.
    static func createBusyQueue(_ locale: String, body: String, approve: Bool, _ client: HTTPTestClient)
        async throws
    {
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: #"{"name":"busy_queue","program":"chat","locale":"\#(locale)","body":"\#(body)","#
                + #""variables":[{"name":"minutes","type":"text"}]}"#)
        #expect(created.status == 201, "\(created.body)")
        guard approve else { return }
        let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
        let approved = try await client.request(
            "POST", "/v1/templates/\(id)/approve", headers: IntentActionTests.admin)
        #expect(approved.status == 200)
    }

    /// A queue's `wait_notice_template`: the notice is its approved version in the contact's
    /// language, with the wait in minutes, sent once per conversation.
    @Test(arguments: Backend.available)
    func theQueuesTemplateIsTheNoticeInTheContactsLanguage(backend: Backend) async throws {
        try await Self.live(on: backend, IntentActionTests.configure(Self.templateYAML)) { _, client, simulator in
            try await Self.createBusyQueue("en", body: Self.englishTemplate, approve: true, client)
            try await Self.createBusyQueue("es", body: Self.spanishTemplate, approve: true, client)
            let english = "+14155550164"
            let spanish = "+14155550165"
            _ = try await API.activeSession(english, client, simulator)
            _ = try await IntentActionTests.spanishActiveSession(spanish, client, simulator)
            _ = try await simulator.reply(from: english, to: API.sender, body: "can I talk to a human")
            _ = try await simulator.reply(from: spanish, to: API.sender, body: "Quiero hablar con una persona")
            let notices = { (phone: String) in
                simulator.inbox(of: phone).filter { $0.body.contains("ocupad") || $0.body.contains("busy") }
            }
            #expect(try await eventually(seconds: 8) { notices(english).count == 1 && notices(spanish).count == 1 })
            try await Task.sleep(for: .milliseconds(2_500))
            #expect(notices(english).map(\.body) == ["Acme: all agents busy, about 1 min"], "once, the template")
            #expect(notices(spanish).map(\.body) == ["Acme: agentes ocupados, unos 1 min"], "once, in Spanish")
            let metrics = try await client.request("GET", "/metrics").body
            #expect(metrics.contains(#"handoff_wait_notices_total{text="template"} 2"#))
        }
    }

    /// A template with no approved version cannot be the notice: the system text goes instead,
    /// counted as a fallback.
    @Test(arguments: Backend.available)
    func anUnapprovedTemplateFallsBackToTheSystemText(backend: Backend) async throws {
        try await Self.live(on: backend, IntentActionTests.configure(Self.templateYAML)) { _, client, simulator in
            try await Self.createBusyQueue("en", body: Self.englishTemplate, approve: false, client)
            let phone = "+14155550166"
            _ = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "can I talk to a human")
            let notices = {
                simulator.inbox(of: phone).filter { $0.body.contains(Self.notice) || $0.body.contains("agents busy") }
            }
            #expect(try await eventually(seconds: 8) { notices().count == 1 })
            #expect(
                notices().first?.body.contains("\(Self.notice) right now; the wait for a person is about 1 min") == true
            )
            let metrics = try await client.request("GET", "/metrics").body
            #expect(metrics.contains(#"handoff_wait_notices_total{text="fallback"} 1"#))
        }
    }

    /// `handoff check-config` refuses a `wait_notice_template` that cannot be a template's name.
    @Test func aWaitNoticeTemplateMustBeATemplateName() throws {
        #expect(throws: (any Error).self) {
            try Queues.load("queues:\n  - name: humans\n    wait_notice_template: Busy Queue\n")
        }
        let loaded = try Queues.load("queues:\n  - name: humans\n    wait_notice_template: busy_queue\n")
        #expect(loaded.queues.queue(named: "humans")?.waitNoticeTemplate == "busy_queue")
    }

    static func live(
        on backend: Backend,
        _ configure: @escaping (inout Configuration) -> Void = { configuration in
            configuration.queues = (try? Queues.load(yaml).queues) ?? configuration.queues
        },
        _ body: (HandoffApplication, HTTPTestClient, GatewaySimulator) async throws -> Void
    ) async throws {
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
