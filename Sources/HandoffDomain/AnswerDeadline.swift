package import DatabaseDriver
package import Lifecycle
import Storage

/// Escalates conversations whose customer waited longer than the answer SLA without a bot or
/// agent reply: checked every few seconds with a read, written only when one is found, by the
/// node that holds `lease` (nil: this node is alone on its database).
package final class AnswerDeadline: Service {
    private let timeline: Timeline
    private let routing: Routing
    private let slaMilliseconds: Int64
    private let lease: ClusterLease?
    private let now: @Sendable () -> Int64

    /// The name of the lease the sweep runs under.
    package static let leaseName = "answer_deadline"

    package init(
        database: any Database, routing: Routing, events: EventHub, webhooks: EventWebhooks, sla: Duration,
        lease: ClusterLease? = nil, outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.routing = routing
        self.lease = lease
        self.slaMilliseconds = sla.components.seconds * 1000 + sla.components.attoseconds / 1_000_000_000_000_000
        self.now = now
    }

    /// How often the deadline is checked: a quarter of the SLA, between 100 ms and 5 s.
    var interval: Duration { .milliseconds(min(5_000, max(100, slaMilliseconds / 4))) }

    /// Nothing to get ready: the first check comes one `interval` after the start.
    package func start() {}

    /// Checks every `interval` until `shutdown` fires; then gives the lease back.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            while (try? await Task.sleep(for: interval)) != nil {
                try? await check()
            }
        }
        try? await lease?.release()
    }

    /// One check: escalates what is overdue, when this node holds the lease.
    func check() async throws {
        let deadline = now() - slaMilliseconds
        let overdue = try await timeline.database.read {
            !(try ChatRepository($0).unansweredConversations(before: deadline, limit: 1).isEmpty)
        }
        guard overdue, try await lease?.hold() ?? true else { return }
        let now = now()
        let (routing, sla) = (routing, slaMilliseconds)
        try await timeline.write { try routing.escalateUnanswered(sla: sla, timeline: $0, now: now) }
    }
}
