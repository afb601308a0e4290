package import Lifecycle
package import Logging
import Storage

/// Optional auto-assignment (`auto_assign: true` on a queue): a conversation waiting in such a
/// queue with no owner goes to a present agent who works the queue, least recently assigned first
/// (`ChatService.assignToPresentAgent`: the assign use case's event and one-owner rule). With
/// nobody present it waits, and goes to the first who arrives.
///
/// A round reads the present agents and the conversations waiting in the queues they work (nothing
/// at all when no queue auto-assigns), and assigns those. Rounds run after commits that woke streams
/// (this node's, and on PostgreSQL the other nodes' through `ClusterWakeUps`), when an agent
/// arrives (`wake`), and every `interval` for what changes without an event (an escalation by the
/// API, an agent arriving on another node). Every node runs rounds: two that pick the same
/// conversation are ordered by the database, and the second finds it owned.
package final class AutoAssignment: Service {
    private let chat: ChatService
    private let interval: Duration
    private let logger: Logger
    private let signal = WakeSignal()

    /// Conversations looked at per round (the next round takes the rest).
    static let batchSize = 100

    package init(chat: ChatService, events: EventHub, interval: Duration = .seconds(1), logger: Logger) {
        self.chat = chat
        self.interval = interval
        self.logger = logger
        // Where no queue auto-assigns (most deployments), a commit wakes no round: that wake-up
        // cost a thread hand-off and a timer per write. The periodic round still notices a reload
        // that turns auto-assignment on.
        events.observe { [signal, queues = chat.queues] in
            if queues.value.queues.contains(where: \.autoAssign) { signal.signal() }
        }
    }

    /// Look for work now (an agent arrived).
    package func wake() { signal.signal() }

    /// Nothing to get ready.
    package func start() {}

    /// Runs rounds when woken and every `interval` until `shutdown` fires.
    package func run(until shutdown: Trigger) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                var failing = false
                while !shutdown.hasFired {
                    do {
                        try await assignWaiting()
                        failing = false
                    } catch {
                        if !failing {
                            logger.warning("auto-assignment: a round failed", metadata: ["error": "\(error)"])
                        }
                        failing = true
                    }
                    await signal.wait(timeout: interval)
                }
            }
            await shutdown.wait()
            signal.signal()
        }
    }

    /// One round: gives each waiting conversation that a present agent can take to one.
    package func assignWaiting() async throws {
        let catalog = chat.queues.value
        let autoAssigned = catalog.queues.filter(\.autoAssign)
        guard !autoAssigned.isEmpty else { return }
        let now = chat.now()
        let waiting = try await chat.database.read { connection in
            let assignment = AssignmentRepository(connection)
            let present = try assignment.presentAgents(now: now)
            let staffed = autoAssigned.filter { queue in
                present.contains { queue.autoAssigns(toAgent: $0.id, agentQueues: $0.queues) }
            }
            return try assignment.awaitingAgent(queues: staffed.map(\.name), limit: Self.batchSize)
        }
        for id in waiting {
            try await chat.assignToPresentAgent(conversationID: id)
        }
    }
}
