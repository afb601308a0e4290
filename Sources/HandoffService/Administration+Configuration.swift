public import HandoffDomain
import SQLite

extension Administration {
    /// For the command line: the configured database (the daemon may be running: SQLite serializes
    /// the writes).
    public init(_ configuration: Configuration) throws {
        self.init(
            database: try SQLiteDatabase(path: configuration.databasePath, readers: 1),
            webhooks: EventWebhooks(isEnabled: configuration.eventWebhookURL != nil),
            defaultRegion: configuration.defaultRegion, events: nil, outboxChanged: {})
    }
}
