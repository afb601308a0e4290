/// The kinds of outbox rows, each delivered by its own dispatcher loop and handler.
public enum OutboxKind: String, Sendable, CaseIterable, Codable {
    /// A text to send.
    case sms
    /// A business event to POST.
    case webhook
}

/// Where an outbox row is: waiting (`pending`, also between retries), being delivered
/// (`sending`), delivered (`done`), given up after the last attempt (`dead`), or given up by an
/// operator (`discarded`).
public enum OutboxState: String, Sendable, CaseIterable, Codable {
    case pending, sending, done, dead, discarded
}
