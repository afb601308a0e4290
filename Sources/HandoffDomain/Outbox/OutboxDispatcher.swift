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
/// Each attempt at a row is two transactions: one claims the row (`sending`) and lets the handler
/// check and record that the attempt is under way (a text's suppression, checked right before its
/// send); the other settles the row with what the handler records of the outcome. A crash in
/// between leaves the row `sending`, and `start` puts those back in the queue: an attempt that
/// reached the other side just before a crash is made once more, never lost. `run` delivers until
/// its shutdown fires, then finishes the rounds under way.
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

    /// What a handler makes of a row it is about to attempt, in the claiming transaction.
    package enum Begun<Attempt: Sendable>: Sendable {
        /// Go ahead: deliver this attempt.
        case send(Attempt)
        /// Nothing to send; the handler recorded what it needed and the row settles with this outcome.
        case settled(Outcome)
    }

    /// What became of a row once an attempt's outcome was recorded.
    package enum Settlement: Sendable, Equatable {
        case done
        /// Back in the queue for another attempt (a retry, or a deferral).
        case pending
        /// Dead-lettered: it failed for good, or `gaveUp` after its last retry.
        case dead(gaveUp: Bool)
    }

    /// Delivers one kind of outbox row (`sms`, `webhook`).
    package protocol Handler: Sendable {
        /// One attempt at a row: what the handler reads from the row once (its decoded payload)
        /// and what the attempt learns on the way.
        associatedtype Attempt: Sendable = OutboxItem
        /// Reads a due row once for its whole attempt.
        func attempt(for item: OutboxItem) -> Attempt
        /// Rows with the same key are delivered one after another, in queue order (texts to one
        /// phone arrive in the order they were written); nil: no ordering needed.
        func orderingKey(_ attempt: Attempt) -> String?
        /// In the transaction that claims the row (`item`, its attempt counted), right before the
        /// attempt: checks that may settle it without sending, and what marks it under way.
        func begin(_ attempt: Attempt, item: OutboxItem, timeline: TimelineWriter, now: Int64) throws
            -> Begun<Attempt>
        /// Makes the attempt, outside any transaction, keeping in `attempt` what `finish` needs.
        func deliver(_ attempt: inout Attempt) async -> Outcome
        /// In the transaction that settles the row: records what became of the attempt.
        func finish(_ attempt: Attempt, _ settlement: Settlement, timeline: TimelineWriter, now: Int64) throws
    }

    /// A kind of outbox row (`sms`, `webhook`) with its handler and its loop's wake-up signal.
    private struct Kind: Sendable {
        let name: OutboxKind
        let handler: any Handler
        let signal: WakeSignal
    }

    /// Writes the handlers' timeline changes (a text's status events and webhooks).
    private let timeline: Timeline
    /// One per handler: the kind of row it delivers, and the signal that wakes its loop.
    private let kinds: [Kind]
    private let maxAttempts: Int
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// Rows taken per round, and the longest sleep between rounds when nothing wakes us.
    static let batchSize = 64
    static let idlePoll = Duration.seconds(5)

    /// `events` and `webhooks` carry what the handlers write to conversations' timelines.
    package init(
        database: any Database, events: EventHub? = nil, webhooks: EventWebhooks = EventWebhooks(isEnabled: false),
        handlers: [OutboxKind: any Handler], maxAttempts: Int, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        let kinds = handlers.map { Kind(name: $0.key, handler: $0.value, signal: WakeSignal()) }
        self.kinds = kinds
        timeline = Timeline(database: database, events: events, webhooks: webhooks) { queued in
            for kind in kinds where queued.contains(kind.name) { kind.signal.signal() }
        }
        self.maxAttempts = maxAttempts
        self.logger = logger
        self.now = now
    }

    private var database: any Database { timeline.database }

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
                let attempted = try await round(kind.name, handler: kind.handler)
                if attempted == 0 { await kind.signal.wait(timeout: try await sleepTime(kind.name)) }
            } catch {
                logger.error("outbox round failed", metadata: ["kind": "\(kind.name)", "error": "\(error)"])
                await kind.signal.wait(timeout: .seconds(1))
            }
        }
    }

    /// Attempts the due rows of `kind` (read, not claimed: each attempt claims its own row),
    /// concurrently but one after another per ordering key; returns how many were due. Throws the
    /// first failure to claim or settle a row once every lane stopped (a lane stops at its first,
    /// so texts to one phone keep their order).
    private func round<H: Handler>(_ kind: OutboxKind, handler: H) async throws -> Int {
        let dueAt = now()
        let items = try await database.read {
            try OutboxRepository($0).due(kind: kind, now: dueAt, limit: Self.batchSize)
        }
        guard !items.isEmpty else { return 0 }
        // One task per ordering key (a phone); rows without a key each get their own.
        var lanes: [[(OutboxItem, H.Attempt)]] = []
        var laneOfKey: [String: Int] = [:]
        for item in items {
            let attempt = handler.attempt(for: item)
            let key = handler.orderingKey(attempt)
            if let key, let lane = laneOfKey[key] {
                lanes[lane].append((item, attempt))
            } else {
                if let key { laneOfKey[key] = lanes.count }
                lanes.append([(item, attempt)])
            }
        }
        let failures = await withTaskGroup(of: (any Error)?.self) { group in
            for lane in lanes {
                group.addTask {
                    do {
                        for (item, attempt) in lane {
                            // The attempt's writes (status events, webhooks) carry the request that queued it.
                            try await RequestOrigin.$requestID.withValue(item.requestID) {
                                try await self.attempt(item, attempt, handler: handler)
                            }
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [any Error]()) { if let error = $1 { $0.append(error) } }
        }
        if let failure = failures.first { throw failure }
        return items.count
    }

    /// One attempt at one row: claimed (with the handler's `begin`) in one transaction, delivered,
    /// settled (with the handler's `finish`) in another. Nothing happens when the row is no longer
    /// pending by the time it is claimed.
    private func attempt<H: Handler>(_ item: OutboxItem, _ attempt: H.Attempt, handler: H) async throws {
        let claimedAt = now()
        let maxAttempts = maxAttempts
        let claimed: (OutboxItem, Begun<H.Attempt>)?
        do {
            claimed = try await claim(item, now: claimedAt) { claimed, writer in
                try handler.begin(attempt, item: claimed, timeline: writer, now: claimedAt)
            }
        } catch {
            // Not even started (the message could not be read...): that transaction was rolled
            // back with whatever the handler wrote; the attempt still counts and the row waits its
            // backoff, as when a delivery fails.
            let failure = "\(error)"
            claimed = try await claim(item, now: claimedAt) { _, _ in .settled(.retry(failure, retryAfter: nil)) }
        }
        guard let (item, begun) = claimed else { return }
        guard case .send(var attempt) = begun else {
            if case .settled(let outcome) = begun { log(item, outcome) }
            return
        }
        let outcome = await handler.deliver(&attempt)
        let settledAt = now()
        let delivered = attempt
        try await timeline.write { writer in
            let settlement = try Self.settle(
                item, outcome, outbox: OutboxRepository(writer.connection), maxAttempts: maxAttempts, now: settledAt)
            try handler.finish(delivered, settlement, timeline: writer, now: settledAt)
        }
        log(item, outcome)
    }

    /// In one transaction: claims `item` (counting the attempt) and runs `begin` on it, settling the
    /// row there when `begin` settles it; nil when the row is no longer pending.
    private func claim<Attempt: Sendable>(
        _ item: OutboxItem, now: Int64,
        begin: @escaping @Sendable (OutboxItem, TimelineWriter) throws -> Begun<Attempt>
    ) async throws -> (OutboxItem, Begun<Attempt>)? {
        let maxAttempts = maxAttempts
        return try await timeline.write { writer in
            let outbox = OutboxRepository(writer.connection)
            guard try outbox.claim(id: item.id, now: now) else { return nil }
            var claimed = item
            claimed.state = .sending
            claimed.attempts += 1
            let begun = try begin(claimed, writer)
            if case .settled(let outcome) = begun {
                _ = try Self.settle(claimed, outcome, outbox: outbox, maxAttempts: maxAttempts, now: now)
            }
            return (claimed, begun)
        }
    }

    /// Records an attempt's outcome on its row: done, dead, or back in the queue with a backoff.
    private static func settle(
        _ item: OutboxItem, _ outcome: Outcome, outbox: OutboxRepository, maxAttempts: Int, now: Int64
    ) throws -> Settlement {
        switch outcome {
        case .delivered:
            try outbox.markDone(id: item.id, now: now)
            return .done
        case .failed(let error):
            try outbox.markDead(id: item.id, error: error, now: now)
            return .dead(gaveUp: false)
        case .deferred(let until):
            try outbox.postpone(id: item.id, until: until, now: now)
            return .pending
        case .retry(let error, let retryAfter):
            guard item.attempts < maxAttempts else {
                try outbox.markDead(id: item.id, error: "gave up after \(item.attempts) attempts: \(error)", now: now)
                return .dead(gaveUp: true)
            }
            let delay = backoff(attempt: item.attempts, retryAfter: retryAfter)
            try outbox.reschedule(id: item.id, nextAttemptAt: now + delay, error: error, now: now)
            return .pending
        }
    }

    private func log(_ item: OutboxItem, _ outcome: Outcome) {
        let delivered = outcome == .delivered
        let level: Logger.Level = delivered || outcome.isDeferral ? .debug : .warning
        guard logger.logLevel <= level else { return }
        logger.log(
            level: level, delivered ? "outbox delivered" : "outbox delivery not done",
            metadata: [
                "outbox_id": "\(item.id)", "kind": "\(item.kind)", "attempt": "\(item.attempts)",
                "outcome": "\(outcome)", "request_id": "\(item.requestID ?? "-")",
            ])
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

extension OutboxDispatcher.Handler where Attempt == OutboxItem {
    package func attempt(for item: OutboxItem) -> OutboxItem { item }
}

extension OutboxDispatcher.Handler {
    /// Nothing to check or record before the attempt.
    package func begin(_ attempt: Attempt, item: OutboxItem, timeline: TimelineWriter, now: Int64) throws
        -> OutboxDispatcher.Begun<Attempt>
    { .send(attempt) }

    /// Nothing to record beside the row.
    package func finish(
        _ attempt: Attempt, _ settlement: OutboxDispatcher.Settlement, timeline: TimelineWriter, now: Int64
    ) throws {}
}

extension OutboxDispatcher.Outcome {
    fileprivate var isDeferral: Bool {
        if case .deferred = self { return true }
        return false
    }
}
