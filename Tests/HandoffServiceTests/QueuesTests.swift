import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Queues from the configuration (`queues:`): listed with their counts, and the first-response
/// clock an escalation starts from the queue's SLA.
@Suite struct QueuesTests {
    @Test func theConfigFileListsQueuesAndTheDefaultOneIsBuiltIn() throws {
        let queues = try Queues.load(Queues.yaml).queues
        #expect(queues.queues.map(\.name) == ["support", "supervisors", "humans"])
        let support = try #require(queues.queue(named: "support"))
        #expect(support.firstResponseSLAMilliseconds == 120_000 && support.overflowQueue == "supervisors")
        #expect(queues.slaMilliseconds(for: "unconfigured") == QueueCatalog.defaultSLAMilliseconds)
        #expect(try Queues.load("brand_name: Acme\n").queues == QueueCatalog.builtIn)
        let json = #"[{"name":"sales","first_response_sla":"30s"}]"#
        let loaded = try ConfigurationLoader(environment: ["HANDOFF_QUEUES": json]).load(configPath: nil)
        #expect(loaded.configuration.queues.slaMilliseconds(for: "sales") == 30_000)
    }

    @Test func aBadQueueStopsTheStartNamingIt() throws {
        for (bad, said) in [
            (
                Queues.yaml.replacingOccurrences(of: "overflow_queue: supervisors", with: "overflow_queue: nowhere"),
                "nowhere"
            ),
            (Queues.yaml.replacingOccurrences(of: "name: supervisors", with: "name: support"), "twice"),
            (
                Queues.yaml.replacingOccurrences(of: "first_response_sla: 2m", with: "first_response_sla: soon"),
                "duration"
            ),
        ] {
            do {
                _ = try Queues.load(bad)
                Issue.record("accepted: \(bad)")
            } catch let error as HandoffServiceError {
                #expect(error.message.contains("queues") && error.message.contains(said), "\(error.message)")
            }
        }
    }

    @Test func anEscalationStartsTheQueuesClockAndAHumanAnswerStopsIt() async throws {
        try await TestApplication.inProcess(Queues.configure) { _, client, _ in
            let before = Date()
            let id = try await Queues.escalated(to: "support", client)
            let conversation = try await Queues.conversation(id, client)
            #expect(conversation["queue"] as? String == "support")
            #expect(conversation["assigned_agent"] is NSNull, "present, null while nobody owns it")
            let due = try #require((conversation["first_response_due_at"] as? String).flatMap(Self.date))
            #expect(abs(due.timeIntervalSince(before) - 120) < 5, "due within support's 2 minutes")

            // Escalated by the customer's words: the default queue, with its SLA.
            let (cookie, session) = try await API.startSession(client)
            let refund = try #require(session["conversation_id"] as? String)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(cookie), body: #"{"body":"I want a refund"}"#)
            let routed = try await Queues.conversation(refund, client)
            #expect(routed["queue"] as? String == "humans" && routed["first_response_due_at"] is String)

            _ = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                body: #"{"body":"Hello, I am here.","author":"agent"}"#)
            #expect(try await Queues.conversation(id, client)["first_response_due_at"] is NSNull)
        }
    }

    @Test func theQueuesAreListedWithTheirCounts() async throws {
        try await TestApplication.inProcess(Queues.configure) { _, client, _ in
            #expect(try await client.request("GET", "/v1/queues").status == 401)
            for _ in 0..<2 { _ = try await Queues.escalated(to: "support", client) }
            let closed = try await Queues.escalated(to: "support", client)
            _ = try await client.request("POST", "/v1/conversations/\(closed)/close", headers: API.agent)
            let listed = try await client.request("GET", "/v1/queues", headers: API.agent)
            #expect(listed.status == 200)
            let queues = try #require(listed.json?["queues"] as? [[String: Any]])
            #expect(queues.map { $0["name"] as? String } == ["support", "supervisors", "humans"])
            let support = queues[0]
            #expect(support["open"] as? Int == 2 && support["unassigned"] as? Int == 2)
            #expect(support["sla_breached"] as? Int == 0)
            #expect(queues[1]["open"] as? Int == 0 && queues[1]["oldest_waiting_since"] is NSNull)
        }
    }

    @Test func aReloadChangesTheQueues() async throws {
        try await TestApplication.inProcess(Queues.configure) { application, client, _ in
            var changed = application.configuration
            changed.queues = try QueueCatalog([Queue(name: "sales", firstResponseSLAMilliseconds: 60_000)])
            #expect(!application.reload(changed).contains("queues"), "applied without a restart")
            let listed = try await client.request("GET", "/v1/queues", headers: API.agent)
            let names = (listed.json?["queues"] as? [[String: Any]])?.map { $0["name"] as? String }
            #expect(names == ["sales", "humans"])
        }
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
