package import DatabaseDriver
package import HandoffCore
import Storage

/// The queues humans work (`queues:`, reloadable) and what `GET /v1/queues` says of them.
package final class QueueService: Sendable {
    private let database: any Database
    /// Shared with the use cases that put conversations in queues.
    package let catalog: Reloadable<QueueCatalog>

    package init(database: any Database, catalog: Reloadable<QueueCatalog>) {
        self.database = database
        self.catalog = catalog
    }

    /// Every configured queue with its counts, in configuration order.
    package func list() async throws -> QueueListJSON {
        let counts = try await database.read { try ChatRepository($0).queueCounts() }
        let byQueue = Dictionary(counts.map { ($0.queue, $0) }, uniquingKeysWith: { first, _ in first })
        return QueueListJSON(
            queues: catalog.value.queues.map { queue in
                let counts = byQueue[queue.name]
                return QueueJSON(
                    name: queue.name, open: counts?.open ?? 0, unassigned: counts?.unassigned ?? 0,
                    oldestWaitingSince: counts?.oldestWaitingSince.map { Timestamp(unixMilliseconds: $0).description },
                    slaBreached: counts?.slaBreached ?? 0,
                    firstResponseSLAMilliseconds: queue.firstResponseSLAMilliseconds,
                    overflowQueue: queue.overflowQueue, members: queue.members, autoAssign: queue.autoAssign,
                    waitNoticeTemplate: queue.waitNoticeTemplate)
            })
    }
}

extension ConversationRecord {
    /// Puts the conversation in queue `name` for a human: its first response is due within the
    /// queue's SLA from now (a new clock, not yet breached).
    mutating func enterQueue(_ name: String, catalog: QueueCatalog, now: Int64) {
        queue = name
        firstResponseDueAt = now + catalog.slaMilliseconds(for: name)
        slaBreachedAt = nil
    }

    /// A human answered: the first-response clock stops; the first such time is kept.
    mutating func humanAnswered(now: Int64) {
        firstResponseDueAt = nil
        if firstHumanResponseAt == nil { firstHumanResponseAt = now }
    }
}

/// One queue in `GET /v1/queues`.
package struct QueueJSON: Encodable, Sendable {
    var name: String
    var open: Int
    var unassigned: Int
    var oldestWaitingSince: String?
    var slaBreached: Int
    var firstResponseSLAMilliseconds: Int64
    var overflowQueue: String?
    var members: [String]
    var autoAssign: Bool
    var waitNoticeTemplate: String?

    package enum CodingKeys: String, CodingKey {
        case name, open, unassigned, members
        case autoAssign = "auto_assign"
        case oldestWaitingSince = "oldest_waiting_since"
        case slaBreached = "sla_breached"
        case firstResponseSLAMilliseconds = "first_response_sla_ms"
        case overflowQueue = "overflow_queue"
        case waitNoticeTemplate = "wait_notice_template"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(open, forKey: .open)
        try container.encode(unassigned, forKey: .unassigned)
        try container.encode(oldestWaitingSince, forKey: .oldestWaitingSince)
        try container.encode(slaBreached, forKey: .slaBreached)
        try container.encode(firstResponseSLAMilliseconds, forKey: .firstResponseSLAMilliseconds)
        try container.encode(overflowQueue, forKey: .overflowQueue)
        try container.encode(members, forKey: .members)
        try container.encode(autoAssign, forKey: .autoAssign)
        try container.encode(waitNoticeTemplate, forKey: .waitNoticeTemplate)
    }
}

/// `{queues}`.
package struct QueueListJSON: Encodable, Sendable {
    var queues: [QueueJSON]
}
