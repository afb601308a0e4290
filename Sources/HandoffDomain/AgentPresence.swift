package import DatabaseDriver
package import Lifecycle
package import Logging
import Storage
import Synchronization

/// Who is at the console: an agent is present while a `GET /v1/agent/events` stream of theirs is
/// open, on any node. Each open stream is a row (`AssignmentRepository`) naming this node, with an
/// expiry that `run` pushes `ttl` ahead every `renewal` while the stream stays open; closing the
/// stream deletes its row, and the rows of a node that crashed run out within `ttl`.
package final class AgentPresence: Service {
    private let database: any Database
    private let node: String
    private let ttl: Int64
    private let renewal: Duration
    private let arrived: @Sendable () -> Void
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// This node's open streams: their ids and agents.
    private let open = Mutex<[String: String]>([:])

    /// How long a stream's row counts without being renewed.
    package static let defaultTTL = Duration.seconds(30)

    /// `arrived` runs once an agent's stream is recorded (auto-assignment looks for work then).
    package init(
        database: any Database, node: String, ttl: Duration = defaultTTL, renewal: Duration = .seconds(10),
        logger: Logger, now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds,
        arrived: @escaping @Sendable () -> Void = {}
    ) {
        self.database = database
        self.node = node
        self.ttl = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
        self.renewal = renewal
        self.arrived = arrived
        self.logger = logger
        self.now = now
    }

    /// One open stream of an agent.
    package struct Visit: Sendable {
        let id: String
    }

    /// The agent `agentID` opened a stream: recorded now (or, when the database refuses, by the
    /// next renewal).
    package func arrive(agentID: String) async -> Visit {
        let visit = Visit(id: Identifiers.make("prs"))
        open.withLock { $0[visit.id] = agentID }
        let (node, now, expiresAt) = (node, now(), now() + ttl)
        do {
            try await database.write {
                try AssignmentRepository($0).arrive(
                    streamID: visit.id, agentID: agentID, node: node, now: now, expiresAt: expiresAt)
            }
            arrived()
        } catch {
            logger.warning("agent presence: cannot record a stream", metadata: ["error": "\(error)"])
        }
        return visit
    }

    /// The stream closed: its row goes (even when the stream's task was cancelled; when the
    /// database refuses, the row runs out instead).
    package func leave(_ visit: Visit) async {
        open.withLock { $0[visit.id] = nil }
        let database = database
        await Task {
            _ = try? await database.write { try AssignmentRepository($0).leave(streamID: visit.id) }
        }.value
    }

    /// Nothing to get ready.
    package func start() {}

    /// Renews this node's rows every `renewal` until `shutdown` fires.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            while (try? await Task.sleep(for: renewal)) != nil {
                do {
                    try await renew()
                } catch {
                    logger.warning("agent presence: cannot renew", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Pushes the expiry of this node's open streams `ttl` ahead (recording any the database
    /// missed), and deletes every row that ran out, on whichever node.
    package func renew() async throws {
        let streams = open.withLock { $0 }
        let (node, now) = (node, now())
        let expiresAt = now + ttl
        try await database.write { connection in
            let presence = AssignmentRepository(connection)
            try presence.purgeExpired(before: now)
            for (id, agentID) in streams {
                try presence.arrive(streamID: id, agentID: agentID, node: node, now: now, expiresAt: expiresAt)
            }
        }
    }
}
