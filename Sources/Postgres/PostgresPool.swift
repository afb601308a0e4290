/// Up to `size` connections to one database, lent to one caller at a time. A connection found
/// lost is dropped and replaced on a later lease; while the server cannot be reached, new
/// connections are tried with exponential backoff and leases in between fail fast with
/// `.unavailable` (a 503 with Retry-After, not a hung request).
public actor PostgresPool {
    public nonisolated let size: Int
    private let uri: String
    private let minimumBackoff: Duration
    private let maximumBackoff: Duration

    private var idle: [PostgresConnection] = []
    /// Connections lent, idle, or being opened.
    private var opened = 0
    /// Leases waiting for a connection to come back, in arrival order.
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiterID = 0
    private var backoff: Duration
    private var nextAttempt: ContinuousClock.Instant?
    private var lastFailure: (any Error)?
    private var closed = false

    /// A pool for `uri`; no connection opens before the first lease.
    public init(
        uri: String, size: Int = 8, minimumBackoff: Duration = .milliseconds(100),
        maximumBackoff: Duration = .seconds(5)
    ) {
        precondition(size > 0, "a pool needs at least one connection")
        self.uri = uri
        self.size = size
        self.minimumBackoff = minimumBackoff
        self.maximumBackoff = maximumBackoff
        self.backoff = minimumBackoff
    }

    /// Leases a connection, runs `body` on it (on the connection's queue, so the session stays
    /// with this caller) and gives it back; a transaction `body` left open is rolled back.
    public nonisolated func withSession<T: Sendable>(
        _ body: @escaping @Sendable (PostgresSession) throws -> T
    ) async throws -> T {
        while true {
            let connection = try await lease()
            let outcome: T?
            do {
                outcome = try await connection.withLiveSession(body)
            } catch {
                await giveBack(connection)
                throw error
            }
            await giveBack(connection)
            if let outcome { return outcome }  // nil: it was lost while idle; lease another
        }
    }

    /// Runs `body` in one transaction on a leased connection.
    @discardableResult
    public nonisolated func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresSession) throws -> T
    ) async throws -> T {
        try await withSession { try $0.transaction(.readWrite, body) }
    }

    /// Runs one statement on a leased connection.
    @discardableResult
    public nonisolated func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        try await withSession { try $0.execute(sql, parameters) }
    }

    /// Closes the idle connections, and the lent ones as they come back; later leases throw.
    public func close() {
        closed = true
        for connection in idle { connection.close() }
        opened -= idle.count
        idle = []
        resumeWaiters(all: true)
    }

    private func lease() async throws -> PostgresConnection {
        while true {
            guard !closed else { throw PostgresError(kind: .unavailable, message: "the pool is closed") }
            if let connection = idle.popLast() { return connection }
            if opened < size { return try await open() }
            try await waitForConnection()
        }
    }

    /// Waits until a connection comes back or a place frees up; throws CancellationError when
    /// the task is cancelled meanwhile.
    private func waitForConnection() async throws {
        let id = nextWaiterID
        nextWaiterID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Checked here, on the actor: a cancellation after this finds the waiter in the list.
                if Task.isCancelled { continuation.resume() } else { waiters.append((id, continuation)) }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        try Task.checkCancellation()
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }

    private func open() async throws -> PostgresConnection {
        let now = ContinuousClock.now
        if let nextAttempt, now < nextAttempt {
            throw PostgresError(
                kind: .unavailable,
                message:
                    "no connection to PostgreSQL (next attempt in \(nextAttempt - now)): \(lastFailure.map { "\($0)" } ?? "")"
            )
        }
        opened += 1
        do {
            let connection = try await PostgresConnection.connect(uri)
            backoff = minimumBackoff
            nextAttempt = nil
            return connection
        } catch {
            opened -= 1
            lastFailure = error
            nextAttempt = .now + backoff * Double.random(in: 0.8...1.2)
            backoff = min(backoff * 2, maximumBackoff)
            resumeWaiters(all: false)  // a waiter takes the free place (and meets the backoff)
            throw error
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        if connection.isBroken || closed {
            connection.close()
            opened -= 1
        } else {
            idle.append(connection)
        }
        resumeWaiters(all: false)
    }

    private func resumeWaiters(all: Bool) {
        let woken = all ? waiters.count : min(1, waiters.count)
        for waiter in waiters.prefix(woken) { waiter.continuation.resume() }
        waiters.removeFirst(woken)
    }
}
