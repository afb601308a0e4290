import Dispatch
import Glibc
import Synchronization

/// One connection to PostgreSQL, owned by its own serial queue: every libpq call on it runs
/// there, one at a time, so async callers on any thread may share it.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: `session` and `readSource` are touched only on `queue`.
    private let queue = DispatchQueue(label: "handoff.postgres.connection")
    private let session = PostgresSession()
    private var readSource: (any DispatchSourceRead)?
    private let broken = Atomic<Bool>(false)

    private init() {}

    /// Connects to `uri` (`postgresql://user:password@host:5432/db?sslmode=verify-full&...`).
    /// Throws `.configuration` for an invalid URI or refused credentials, `.unavailable` when the
    /// server cannot be reached.
    public static func connect(_ uri: String) async throws -> PostgresConnection {
        let connection = PostgresConnection()
        try await connection.withSession { try $0.open(uri) }
        return connection
    }

    /// Checks `uri` as libpq will read it, without connecting: throws `.configuration` for a
    /// malformed URI or an option libpq does not know.
    public static func validate(uri: String) throws(PostgresError) { try PostgresSession.validate(uri: uri) }

    /// True once the connection was found lost or closed (as of its last use).
    public var isBroken: Bool { broken.load(ordering: .relaxed) }

    /// Runs `body` on the connection's queue with its session; nothing else uses the connection
    /// meanwhile.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let result = Result { try body(self.session) }
                self.broken.store(self.session.isBroken, ordering: .relaxed)
                continuation.resume(with: result)
            }
        }
    }

    /// Runs one statement (see `PostgresSession.execute`).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        try await withSession { try $0.execute(sql, parameters) }
    }

    /// Runs `body` in one transaction (see `PostgresSession.transaction`).
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withSession { try $0.transaction(.readWrite, body) }
    }

    /// Closes the connection once what is queued on it has run.
    public func close() {
        queue.async {
            self.broken.store(true, ordering: .relaxed)
            if let source = self.readSource {
                source.cancel()  // its cancel handler closes the connection
            } else {
                self.session.close()
            }
        }
    }

    /// For a lease: runs `body` unless the connection turns out lost while it sat idle; leaves
    /// no transaction open behind it.
    func withLiveSession<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T? {
        try await withSession { session in
            guard session.isAlive() else { return nil }
            defer { session.rollbackIfOpen() }
            return .some(try body(session))
        }
    }

    /// LISTENs on `channels` and delivers each notification to `continuation`, reading when a
    /// Dispatch read source on libpq's socket says there is something to read.
    func startListening(
        _ channels: [String], to continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    ) async throws {
        try await withSession { session in
            for channel in channels {
                try session.executeScript("LISTEN \"\(channel.replacing("\"", with: "\"\""))\"")
            }
            // The source watches a duplicate of libpq's socket, closed only once the source stopped
            // watching it: libpq closes its own descriptor as soon as it reads the end of a lost
            // connection, and a source left on a closed number is found by the next descriptor to
            // get it (an accepted HTTP connection), whose own source then never fires.
            let watched = dup(session.socket)
            guard watched >= 0 else {
                throw PostgresError(kind: .unavailable, message: "cannot watch the connection: errno \(errno)")
            }
            let source = DispatchSource.makeReadSource(fileDescriptor: watched, queue: self.queue)
            source.setEventHandler { self.deliverNotifications(to: continuation) }
            source.setCancelHandler {
                Glibc.close(watched)
                self.session.close()
            }
            self.readSource = source
            source.resume()
        }
        // Notifications that came in with the LISTEN replies are already in libpq's buffer.
        queue.async { self.deliverNotifications(to: continuation) }
    }

    /// On the queue: hands on what arrived; ends the stream when the connection is lost.
    private func deliverNotifications(
        to continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    ) {
        do {
            for notification in try session.receiveNotifications() { continuation.yield(notification) }
        } catch {
            broken.store(true, ordering: .relaxed)
            readSource?.cancel()
            continuation.finish(throwing: error)
        }
    }
}
