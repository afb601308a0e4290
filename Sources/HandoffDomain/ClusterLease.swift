package import DatabaseDriver
import Storage
import Synchronization

/// Work that runs on one node of the cluster at a time (the answer-deadline sweep, the retention
/// purge, scheduled texts) holds the lease row of its name (`LeaseRepository`): a node runs a
/// round only while it holds it, renews it as its rounds go, and gives it back when it stops; when
/// the holder dies, another node takes the lease over once it ran out. A row with an expiry, not a
/// session advisory lock: it holds behind a pooler's transaction pooling (PgBouncer).
///
/// A node alone on its database (SQLite, held with its lock) needs none: the services take an
/// optional lease, nil there.
package final class ClusterLease: Sendable {
    /// The work's name, the lease row's key.
    package let name: String
    /// This node's name (`node_id`).
    private let holder: String
    private let milliseconds: Int64
    private let database: any Database
    private let now: @Sendable () -> Int64
    /// Until when this node holds the lease as far as it knows (its last take or renewal).
    private let heldUntil = Mutex<Int64?>(nil)

    package init(
        name: String, holder: String, duration: Duration, database: any Database,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.name = name
        self.holder = holder
        self.milliseconds =
            duration.components.seconds * 1000
            + duration.components.attoseconds / 1_000_000_000_000_000
        self.database = database
        self.now = now
    }

    /// Whether this node holds the lease now, to run one round (or one batch of a long one): with
    /// more than half of its lease left it does without asking; otherwise it takes or renews the
    /// lease in one statement, which fails while another node holds it.
    package func hold() async throws -> Bool {
        let now = now()
        if let until = heldUntil.withLock({ $0 }), until - now > milliseconds / 2 { return true }
        let (name, holder, until) = (name, holder, now + milliseconds)
        let held = try await database.write {
            try LeaseRepository($0).acquire(name, holder: holder, until: until, now: now)
        }
        heldUntil.withLock { $0 = held ? until : nil }
        return held
    }

    /// Gives the lease back (the node stops): another node takes it at its next round instead of
    /// waiting for it to run out.
    package func release() async throws {
        heldUntil.withLock { $0 = nil }
        let (name, holder) = (name, holder)
        try await database.write { try LeaseRepository($0).release(name, holder: holder) }
    }
}
