package import DatabaseDriver
package import Lifecycle
import Storage

/// Escalates conversations whose customer waited longer than the answer SLA without a bot or
/// agent reply: checked every few seconds with a read, written only when one is found.
package final class AnswerDeadline: Service {
    private let database: any Database
    private let routing: Routing
    private let events: EventHub
    private let slaMilliseconds: Int64
    private let outboxChanged: @Sendable () -> Void
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, routing: Routing, events: EventHub, sla: Duration,
        outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.routing = routing
        self.events = events
        self.slaMilliseconds = sla.components.seconds * 1000 + sla.components.attoseconds / 1_000_000_000_000_000
        self.outboxChanged = outboxChanged
        self.now = now
    }

    /// How often the deadline is checked: a quarter of the SLA, between 100 ms and 5 s.
    var interval: Duration { .milliseconds(min(5_000, max(100, slaMilliseconds / 4))) }

    /// Nothing to get ready: the first check comes one `interval` after the start.
    package func start() {}

    /// Checks every `interval` until `shutdown` fires.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            while (try? await Task.sleep(for: interval)) != nil {
                try? await check()
            }
        }
    }

    /// One check: escalates what is overdue.
    func check() async throws {
        let deadline = now() - slaMilliseconds
        let overdue = try await database.read {
            !(try ChatRepository($0).unansweredConversations(before: deadline, limit: 1).isEmpty)
        }
        guard overdue else { return }
        let now = now()
        let (routing, sla) = (routing, slaMilliseconds)
        let published = try await database.write { try routing.escalateUnanswered(sla: sla, connection: $0, now: now) }
        events.publish(published)
        outboxChanged()
    }
}
