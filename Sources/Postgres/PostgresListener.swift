/// A notification sent by `NOTIFY channel, 'payload'` or `pg_notify(channel, payload)`.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// The server process of the session that sent it.
    public let backendPID: Int32
}

/// A connection of its own that LISTENs on some channels and hands on each notification, in
/// the order the notifying transactions committed. The stream ends with a `.unavailable` error
/// when the connection is lost: nothing is sent to a channel's listeners while none listens, so
/// the caller polls meanwhile and starts a new listener.
public final class PostgresListener: Sendable {
    public let notifications: AsyncThrowingStream<PostgresNotification, any Error>
    private let continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation

    private init(
        notifications: AsyncThrowingStream<PostgresNotification, any Error>,
        continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    ) {
        self.notifications = notifications
        self.continuation = continuation
    }

    /// Connects to `uri` and LISTENs on `channels`; notifications sent after this returns reach
    /// `notifications`.
    public static func listen(_ uri: String, channels: [String]) async throws -> PostgresListener {
        let connection = try await PostgresConnection.connect(uri)
        let (notifications, continuation) = AsyncThrowingStream.makeStream(of: PostgresNotification.self)
        continuation.onTermination = { _ in connection.close() }
        do {
            try await connection.startListening(channels, to: continuation)
        } catch {
            connection.close()
            throw error
        }
        return PostgresListener(notifications: notifications, continuation: continuation)
    }

    /// Stops listening and closes the connection; the stream ends.
    public func close() { continuation.finish() }
}
