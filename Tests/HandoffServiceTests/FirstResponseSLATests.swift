import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// The first-response SLA: an overdue first human answer fires `conversation.sla_breached` once
/// and moves the conversation to its queue's overflow queue; an answer in time stops the clock.
@Suite struct FirstResponseSLATests {
    static func configure(_ configuration: inout Configuration) {
        AssignmentTests.configure(&configuration)
        configuration.queues =
            (try? QueueCatalog([
                Queue(name: "support", firstResponseSLAMilliseconds: 300, overflowQueue: "supervisors"),
                // Answered in time: one second, for the test's own reply on a loaded machine (300 ms
                // was not always enough), and still past when the breach is looked for.
                Queue(name: "callbacks", firstResponseSLAMilliseconds: 1_000, overflowQueue: "supervisors"),
                Queue(name: "supervisors", firstResponseSLAMilliseconds: 300_000),
            ])) ?? configuration.queues
    }

    @Test func anOverdueFirstAnswerBreachesOnceAndOverflows() async throws {
        try await TestApplication.inProcess(Self.configure) { application, client, _ in
            let late = try await Queues.escalated(to: "support", client)
            let answered = try await Queues.escalated(to: "callbacks", client)
            _ = try await client.request(
                "POST", "/v1/conversations/\(answered)/messages", headers: API.agent,
                body: #"{"body":"Right here.","author":"agent"}"#)

            #expect(
                try await eventually(seconds: 5) {
                    (try? await Queues.conversation(late, client))?["queue"] as? String == "supervisors"
                }, "moved to the overflow queue")
            let conversation = try await Queues.conversation(late, client)
            #expect(conversation["sla_breached_at"] is String)
            let queues = try await client.request("GET", "/v1/queues", headers: API.agent).json?["queues"]
            let supervisors = (queues as? [[String: Any]])?.first { $0["name"] as? String == "supervisors" }
            #expect(supervisors?["sla_breached"] as? Int == 1)

            try await Task.sleep(for: .milliseconds(1_500))
            #expect(
                try await AssignmentTests.changes(late, application).filter { $0 == "conversation.sla_breached" }
                    .count == 1, "fired once")
            #expect(
                try await AssignmentTests.changes(answered, application).contains("conversation.sla_breached") == false)
            #expect(try await Queues.conversation(answered, client)["queue"] as? String == "callbacks")
        }
    }
}
