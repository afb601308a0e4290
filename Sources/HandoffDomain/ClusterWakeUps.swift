package import DatabaseDriver
package import Lifecycle
package import Logging
import Storage

/// With several nodes on one database (PostgreSQL): wakes this node's live streams and outbox for
/// what the other nodes committed. `changed()` (a notification from another node) asks for a look
/// now; without one, `run` looks every `pollInterval`, so a lost notification, or one sent while
/// the listener reconnected, delays by at most a second. A look reads the ids and conversations of
/// the settled events after the last one it saw and wakes those conversations' streams (and the
/// streams of every conversation), then wakes the outbox, whose rounds read what is due.
package final class ClusterWakeUps: Service {
    private let database: any Database
    private let events: EventHub
    private let wakeOutbox: @Sendable () -> Void
    private let pollInterval: Duration
    private let logger: Logger
    private let signal = WakeSignal()

    /// Events read per look (more are read at once by the next).
    static let batchSize = 1_000
    /// Between looks when nothing wakes us: a look and a stream's read fit in the rest of a second.
    package static let defaultPollInterval = Duration.milliseconds(900)

    package init(
        database: any Database, events: EventHub, wakeOutbox: @escaping @Sendable () -> Void,
        pollInterval: Duration = defaultPollInterval, logger: Logger
    ) {
        self.database = database
        self.events = events
        self.wakeOutbox = wakeOutbox
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Another node committed something: look now.
    package func changed() { signal.signal() }

    /// Nothing to get ready: the database may be down at start; the first look waits for it.
    package func start() {}

    /// Looks at every `changed()` and every `pollInterval` until `shutdown` fires.
    package func run(until shutdown: Trigger) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.follow(until: shutdown) }
            await shutdown.wait()
            signal.signal()
        }
    }

    private func follow(until shutdown: Trigger) async {
        /// The last event looked at; nil until the database answered once.
        var seen: Int64?
        var failing = false
        var unsettledRetry: Duration?
        while !shutdown.hasFired {
            do {
                let look = try await look(after: seen)
                seen = look.seen
                // Committed events wait for an older write (see `EventStream`): look again soon.
                unsettledRetry =
                    look.unsettled ? min((unsettledRetry ?? .milliseconds(1)) * 2, .milliseconds(100)) : nil
                if failing { logger.info("cluster wake-ups: the database answers again") }
                failing = false
            } catch {
                if !failing {
                    logger.warning("cluster wake-ups: cannot read the event log", metadata: ["error": "\(error)"])
                }
                failing = true
            }
            if unsettledRetry == nil { wakeOutbox() }
            await signal.wait(timeout: unsettledRetry ?? pollInterval)
        }
    }

    /// Wakes the streams of the events settled after `seen` (none on the first look, which only
    /// finds where the log ends); returns the last event seen, and whether committed events after
    /// it are not settled yet.
    private func look(after seen: Int64?) async throws -> (seen: Int64, unsettled: Bool) {
        guard var last = seen else {
            return (try await database.read { try ChatRepository($0).lastEventSeq(conversationID: nil) }, false)
        }
        while true {
            let from = last
            let (found, unsettled) = try await database.read { connection in
                let chat = ChatRepository(connection)
                let found = try chat.eventConversations(afterSeq: from, limit: Self.batchSize)
                guard found.count < Self.batchSize else { return (found, false) }
                return (found, try chat.hasUnsettledEvents(conversationID: nil, afterSeq: found.last?.seq ?? from))
            }
            events.publish(conversations: Set(found.map(\.conversationID)))
            last = found.last?.seq ?? last
            if found.count < Self.batchSize { return (last, unsettled) }
        }
    }
}
