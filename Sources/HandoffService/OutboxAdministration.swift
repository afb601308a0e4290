import HandoffCore
import Storage

/// What operators do with the outbox from the command line, on the configured database (the
/// daemon may be running: SQLite serializes the writes, and the dispatcher picks replays up).
public enum OutboxAdministration {
    /// A dead-lettered row, for listing.
    public struct DeadLetter: Sendable {
        public var id: Int64
        public var kind: String
        public var attempts: Int
        public var lastError: String
        public var createdAt: String
        /// The event type, for webhooks (`message.created`, ...).
        public var eventType: String?
    }

    /// Dead-lettered rows of `kind` (or every kind), oldest first.
    public static func deadLetters(_ configuration: Configuration, kind: String?) throws -> [DeadLetter] {
        let database = try Database(path: configuration.databasePath, readers: 1)
        return try database.withWriterSync { connection in
            try OutboxRepository(connection).deadLetters().filter { kind == nil || $0.kind == kind }.map { item in
                DeadLetter(
                    id: item.id, kind: item.kind, attempts: item.attempts, lastError: item.lastError ?? "",
                    createdAt: Timestamp(unixMilliseconds: item.createdAt).description,
                    eventType: Self.eventType(item.payload))
            }
        }
    }

    /// Queues a dead-lettered row again from attempt one; false when `id` is not dead-lettered.
    public static func replay(_ configuration: Configuration, id: Int64) throws -> Bool {
        let database = try Database(path: configuration.databasePath, readers: 1)
        let now = ChatService.currentMilliseconds()
        return try database.withWriterSync { try OutboxRepository($0).replay(id: id, now: now) }
    }

    private static func eventType(_ payload: String) -> String? {
        guard let range = payload.range(of: #""type":""#) else { return nil }
        let rest = payload[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
