public import HandoffDomain

extension Administration {
    /// For the command line: the configured database, SQLite or PostgreSQL (the daemon may be
    /// running: SQLite serializes the writes, PostgreSQL's are serializable).
    public init(_ configuration: Configuration) throws {
        self.init(
            database: try DatabaseSetup.open(configuration, daemon: false, sqliteReaders: 1).database,
            webhooks: EventWebhooks(isEnabled: configuration.eventWebhookURL != nil),
            defaultRegion: configuration.defaultRegion, events: nil, outboxChanged: {})
    }
}
