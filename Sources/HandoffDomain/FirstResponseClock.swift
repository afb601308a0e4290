package import DatabaseDriver
package import HandoffCore
package import Lifecycle
import Storage

/// The first-response SLA: a conversation whose first human answer is overdue gets
/// `conversation.sla_breached` once and moves to its queue's overflow queue; in a queue with
/// `wait_notice_after`, once the customer waiting longest has waited that long, each customer
/// waiting there gets the wait-time notice once (`WaitNotices`). `check()` is one sweep (reads,
/// and a write only when something is due, by the node that holds `lease`; nil: this node is
/// alone on its database); `run` repeats it.
package final class FirstResponseClock: Service {
    private let timeline: Timeline
    private let queues: Reloadable<QueueCatalog>
    private let interval: Duration
    private let lease: ClusterLease?
    private let brand: @Sendable () -> String
    private let counters: ServiceCounters
    private let now: @Sendable () -> Int64

    /// The name of the lease the sweeps run under.
    package static let leaseName = "first_response_clock"

    package init(
        database: any Database, queues: Reloadable<QueueCatalog>, events: EventHub, webhooks: EventWebhooks,
        interval: Duration = .seconds(1), lease: ClusterLease? = nil, brand: @escaping @Sendable () -> String,
        counters: ServiceCounters, outboxChanged: @escaping @Sendable () -> Void,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.brand = brand
        self.counters = counters
        self.timeline = Timeline(database: database, events: events, webhooks: webhooks) { _ in outboxChanged() }
        self.queues = queues
        self.interval = interval
        self.lease = lease
        self.now = now
    }

    /// Nothing to get ready: the first check comes one `interval` after the start.
    package func start() {}

    /// Checks every `interval` until `shutdown` fires; then gives the lease back.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            while (try? await Task.sleep(for: interval)) != nil {
                _ = try? await check()
            }
        }
        try? await lease?.release()
    }

    /// One sweep, when this node holds the lease: stamps up to 100 overdue conversations breached,
    /// each with its event, in one transaction, then sends the wait-time notices due; returns how
    /// many conversations were stamped breached.
    @discardableResult
    package func check() async throws -> Int {
        let now = now()
        let catalog = queues.value
        let (overdue, noticesDue) = try await timeline.database.read { connection in
            (
                !(try ChatRepository(connection).overdueFirstResponses(now: now, limit: 1).isEmpty),
                try WaitNotices.areDue(catalog, connection, now: now)
            )
        }
        guard overdue || noticesDue, try await lease?.hold() ?? true else { return 0 }
        let breached = overdue ? try await breach(catalog, now: now) : 0
        if noticesDue {
            let brand = brand()
            try await timeline.write { [counters] in
                try WaitNotices.send(catalog, brand: brand, counters: counters, timeline: $0, now: now)
            }
        }
        return breached
    }

    private func breach(_ catalog: QueueCatalog, now: Int64) async throws -> Int {
        try await timeline.write { timeline in
            let chat = ChatRepository(timeline.connection)
            let conversations = try chat.overdueFirstResponses(now: now, limit: 100)
            for var conversation in conversations {
                conversation.slaBreachedAt = now
                conversation.updatedAt = now
                if let queue = conversation.queue, let overflow = catalog.queue(named: queue)?.overflowQueue {
                    conversation.queue = overflow
                }
                try timeline.update(conversation)
                let json = ConversationJSON(conversation, contact: try chat.contact(id: conversation.contactID))
                try timeline.recordWebhook("conversation.sla_breached", json, now: now)
            }
            return conversations.count
        }
    }
}
