import Lifecycle
import Logging
import Postgres
import Synchronization

/// PostgreSQL's LISTEN/NOTIFY between the nodes sharing one database: a node that committed
/// events or outbox rows notifies `channel`, carrying no data, and every node listening looks at
/// the log (`ClusterWakeUps`). Not used with SQLite (one node).
enum PostgresNotifications {
    static let channel = "handoff_changes"
}

/// Sends the NOTIFY after this node's commits, coalesced and debounced: one at a time per node,
/// on a pooled connection in a transaction of its own (PostgreSQL serialises notifying commits; a
/// request's own transaction never waits for that), at most one per `minimumInterval`, and the
/// commits made while one is under way or in that pause share the next one. A NOTIFY that fails is
/// lost: the other nodes' polling finds the change within a second.
final class PostgresChangeNotifier: Sendable {
    /// The least time from one NOTIFY to the next: at most 100 a second per node, whatever the
    /// commit rate (bench/pg-notify-cost.sh: back-to-back notifiers cost the other writers more).
    static let minimumInterval = Duration.milliseconds(10)

    private struct State {
        var sending = false
        var again = false
    }

    private let pool: PostgresPool
    private let logger: Logger
    private let state = Mutex(State())

    init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// After a commit: a NOTIFY now, or right after the one under way.
    func announce() {
        let start = state.withLock { state in
            guard !state.sending else {
                state.again = true
                return false
            }
            state.sending = true
            return true
        }
        if start { Task { await sendUntilCaughtUp() } }
    }

    private func sendUntilCaughtUp() async {
        let clock = ContinuousClock()
        repeat {
            let started = clock.now
            do {
                try await pool.execute("SELECT pg_notify($1, '')", [.text(PostgresNotifications.channel)])
            } catch {
                logger.debug("NOTIFY failed; the other nodes' polling covers it", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(until: started + Self.minimumInterval, clock: clock)
        } while state.withLock { state in
            state.sending = state.again
            state.again = false
            return state.sending
        }
    }
}

/// LISTENs on a connection of its own and calls `received` for each notification; when the
/// connection is lost it connects again with backoff (100 ms doubling to 5 s) and calls `received`
/// once listening again, for what was sent while nobody listened.
struct PostgresNotificationListener: Service {
    let uri: String
    let received: @Sendable () -> Void
    let logger: Logger

    func start() {}

    func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            var backoff = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    let listener = try await PostgresListener.listen(uri, channels: [PostgresNotifications.channel])
                    backoff = .milliseconds(100)
                    received()
                    do {
                        for try await _ in listener.notifications { received() }
                    } catch {
                        listener.close()
                        throw error
                    }
                    listener.close()
                } catch {
                    logger.warning(
                        "LISTEN connection lost; polling until it is back",
                        metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                }
                try? await Task.sleep(for: backoff * Double.random(in: 0.8...1.2))
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }
}
