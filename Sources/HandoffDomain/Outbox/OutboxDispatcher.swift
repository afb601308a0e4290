package import DatabaseDriver
import Foundation
package import HandoffCore
package import Lifecycle
package import Logging
package import Storage

/// Delivers what the outbox holds after it is committed: at least once, woken at once by the use
/// cases (and every few seconds regardless), retrying with exponential backoff and jitter,
/// honouring Retry-After, dead-lettering after `maxAttempts`.
///
/// Rows are claimed (`sending`) in one transaction and settled in another; a crash in between
/// leaves them `sending`, and `start` puts those back in the queue: an attempt that reached the
/// other side just before a crash is made once more, never lost. `run` delivers until its
/// shutdown fires, then finishes the rounds under way.
///
/// Each kind of row has its own loop: a business webhook receiver that answers slowly (or
/// not at all, until the timeout) never holds up texts to customers.
package final class OutboxDispatcher: Service {
    /// What one delivery attempt came to.
    package enum Outcome: Sendable, Equatable {
        case delivered
        /// Try again later; `retryAfter` is the other side's own request, if it made one.
        case retry(String, retryAfter: Duration?)
        /// Will never succeed: dead-letter now.
        case failed(String)
        /// Not now, and not a failure (quiet hours): wait until this time (Unix ms), attempt not counted.
        case deferred(until: Int64)
    }

    /// A kind of outbox row (`sms`, `webhook`) with its handler and its loop's wake-up signal.
    private struct Kind: Sendable {
        let name: OutboxKind
        let handler: any Handler
        let signal: WakeSignal
    }

    /// Delivers one kind of outbox row (`sms`, `webhook`).
    package protocol Handler: Sendable {
        func deliver(_ item: OutboxItem) async -> Outcome
        /// Told when a row is dead-lettered after its last retry, so it can record the failure.
        func gaveUp(_ item: OutboxItem, error: String) async
        /// Rows with the same key are delivered one after another, in queue order (texts to one
        /// phone arrive in the order they were written); nil: no ordering needed.
        func orderingKey(_ item: OutboxItem) -> String?
    }

    private let database: any Database
    /// One per handler: the kind of row it delivers, and the signal that wakes its loop.
    private let kinds: [Kind]
    private let maxAttempts: Int
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// Rows claimed per round, and the longest sleep between rounds when nothing wakes us.
    static let batchSize = 64
    static let idlePoll = Duration.seconds(5)

    package init(
        database: any Database, handlers: [OutboxKind: any Handler], maxAttempts: Int, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        kinds = handlers.map { Kind(name: $0.key, handler: $0.value, signal: WakeSignal()) }
        self.maxAttempts = maxAttempts
        self.logger = logger
        self.now = now
    }

    /// Recovers rows a crash left in flight.
    package func start() async throws {
        let now = now()
        let recovered = try await database.write { try OutboxRepository($0).recoverInterrupted(now: now) }
        if recovered > 0 { logger.warning("outbox rows resumed after a restart", metadata: ["count": "\(recovered)"]) }
    }

    /// Delivers, one loop per kind, until `shutdown` fires; then finishes the rounds under way.
    package func run(until shutdown: Trigger) async {
        await withTaskGroup(of: Void.self) { group in
            for kind in kinds { group.addTask { await self.loop(kind, until: shutdown) } }
            await shutdown.wait()
            wake()
        }
    }

    /// Asks for a round now: called after a commit that enqueued something.
    package func wake() {
        for kind in kinds { kind.signal.signal() }
    }

    private func loop(_ kind: Kind, until shutdown: Trigger) async {
        while !shutdown.hasFired, !Task.isCancelled {
            do {
                let delivered = try await round(kind)
                if delivered == 0 { await kind.signal.wait(timeout: try await sleepTime(kind.name)) }
            } catch {
                logger.error("outbox round failed", metadata: ["kind": "\(kind.name)", "error": "\(error)"])
                await kind.signal.wait(timeout: .seconds(1))
            }
        }
    }

    /// Claims due rows of `kind`, delivers them concurrently, records the outcomes; returns how
    /// many it tried.
    private func round(_ kind: Kind) async throws -> Int {
        let claimedAt = now()
        let items = try await database.write {
            try OutboxRepository($0).claimDue(kind: kind.name, now: claimedAt, limit: Self.batchSize)
        }
        guard !items.isEmpty else { return 0 }
        let handler = kind.handler
        // One task per ordering key (a phone); rows without a key each get their own.
        var lanes: [[OutboxItem]] = []
        var laneOfKey: [String: Int] = [:]
        for item in items {
            let key = handler.orderingKey(item)
            if let key, let lane = laneOfKey[key] {
                lanes[lane].append(item)
            } else {
                if let key { laneOfKey[key] = lanes.count }
                lanes.append([item])
            }
        }
        let outcomes = await withTaskGroup(of: [(OutboxItem, Outcome)].self) { group in
            for lane in lanes {
                group.addTask {
                    var results: [(OutboxItem, Outcome)] = []
                    for item in lane {
                        // Writes the delivery makes (status events, webhooks) carry the request that queued it.
                        let outcome = await RequestOrigin.$requestID.withValue(item.requestID) {
                            await handler.deliver(item)
                        }
                        results.append((item, outcome))
                    }
                    return results
                }
            }
            return await group.reduce(into: [(OutboxItem, Outcome)]()) { $0 += $1 }
        }
        let settledAt = now()
        let maxAttempts = maxAttempts
        let exhausted = try await database.write { connection -> [(OutboxItem, String)] in
            let outbox = OutboxRepository(connection)
            var exhausted: [(OutboxItem, String)] = []
            for (item, outcome) in outcomes {
                switch outcome {
                case .delivered:
                    try outbox.markDone(id: item.id, now: settledAt)
                case .failed(let error):
                    try outbox.markDead(id: item.id, error: error, now: settledAt)
                case .deferred(let until):
                    try outbox.postpone(id: item.id, until: until, now: settledAt)
                case .retry(let error, let retryAfter):
                    if item.attempts >= maxAttempts {
                        let reason = "gave up after \(item.attempts) attempts: \(error)"
                        try outbox.markDead(id: item.id, error: reason, now: settledAt)
                        exhausted.append((item, reason))
                    } else {
                        let delay = Self.backoff(attempt: item.attempts, retryAfter: retryAfter)
                        try outbox.reschedule(
                            id: item.id, nextAttemptAt: settledAt + delay, error: error, now: settledAt)
                    }
                }
            }
            return exhausted
        }
        for (item, reason) in exhausted {
            await RequestOrigin.$requestID.withValue(item.requestID) {
                await handler.gaveUp(item, error: reason)
            }
        }
        for (item, outcome) in outcomes {
            let delivered = outcome == .delivered
            let level: Logger.Level = delivered || outcome.isDeferral ? .debug : .warning
            guard logger.logLevel <= level else { continue }
            logger.log(
                level: level, delivered ? "outbox delivered" : "outbox delivery not done",
                metadata: [
                    "outbox_id": "\(item.id)", "kind": "\(item.kind)", "attempt": "\(item.attempts)",
                    "outcome": "\(outcome)", "request_id": "\(item.requestID ?? "-")",
                ])
        }
        return items.count
    }

    private func sleepTime(_ kind: OutboxKind) async throws -> Duration {
        let next = try await database.read { try OutboxRepository($0).nextDueTime(kind: kind) }
        guard let next else { return Self.idlePoll }
        return .milliseconds(max(0, min(next - now(), 5_000)))
    }

    /// Milliseconds before attempt `attempt + 1`: 2 s doubling per attempt up to an hour, with
    /// jitter (50–100% of that), and never sooner than the other side's Retry-After.
    static func backoff(attempt: Int, retryAfter: Duration?) -> Int64 {
        let exponential = min(3_600_000, 2_000 * (1 << min(max(attempt - 1, 0), 20)))
        let jittered = Int64(Double(exponential) * Double.random(in: 0.5...1.0))
        let requested = retryAfter.map { $0.components.seconds * 1000 } ?? 0
        return max(jittered, requested)
    }
}

extension OutboxDispatcher.Outcome {
    fileprivate var isDeferral: Bool {
        if case .deferred = self { return true }
        return false
    }
}
