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
/// Each attempt at a row is two transactions: one claims the row (`sending`, with this node's
/// lease) and lets the handler check and record that the attempt is under way (a text's
/// suppression, checked right before its send); the other settles the row with what the handler
/// records of the outcome, if the claim still holds. The lease is renewed while the attempt is in
/// flight. A crash in between leaves the row `sending`: another node takes it over once its lease
/// runs out, and this node's `start` puts it back in the queue at once (on SQLite, which no other
/// process shares, every such row). An attempt that reached the other side just before a crash is
/// made once more, never lost. `run` delivers until its shutdown fires, then finishes the rounds
/// under way.
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

    /// How this node holds the rows it attempts, among the nodes that share the database.
    package struct Leasing: Sendable {
        /// This node's name (`node_id`), recorded on the rows it claims.
        package var node: String
        /// How long a claim holds unless renewed: how long a dead node's rows wait for another.
        package var duration: Duration
        /// How often a claim in flight is renewed: well within `duration`.
        package var renewal: Duration
        /// Other processes may dispatch from the database (PostgreSQL): `start` takes back only
        /// this node's own rows in flight. False: all of them (SQLite, held with its lock).
        package var sharesDatabase: Bool

        /// Claims of 30 seconds, renewed every 10.
        package init(
            node: String, sharesDatabase: Bool, duration: Duration = .seconds(30), renewal: Duration = .seconds(10)
        ) {
            self.node = node
            self.duration = duration
            self.renewal = renewal
            self.sharesDatabase = sharesDatabase
        }

        /// This process alone on its database.
        package static let alone = Leasing(node: "local", sharesDatabase: false)

        var milliseconds: Int64 {
            duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
    }

    /// Delivers one kind of outbox row (`sms`, `webhook`).
    package protocol Handler: Sendable {
        /// One attempt at a row: what the handler reads from the row once (its decoded payload)
        /// and what the attempt learns on the way.
        associatedtype Attempt: Sendable = OutboxItem
        /// Reads a due row once for its whole attempt.
        func attempt(for item: OutboxItem) -> Attempt
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
    private let leasing: Leasing
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// Rows taken per round, and the longest sleep between rounds when nothing wakes us.
    static let batchSize = 64
    static let idlePoll = Duration.seconds(5)
    /// The sleep after a round that claimed none of the rows due (other nodes hold them, or the
    /// rows their lanes send first): no wake-up comes from another node when it is done.
    static let heldPoll = Duration.milliseconds(200)

    /// `events` and `webhooks` carry what the handlers write to conversations' timelines.
    package init(
        database: any Database, events: EventHub? = nil, webhooks: EventWebhooks = EventWebhooks(isEnabled: false),
        handlers: [OutboxKind: any Handler], maxAttempts: Int, leasing: Leasing = .alone, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        let kinds = handlers.map { Kind(name: $0.key, handler: $0.value, signal: WakeSignal()) }
        self.kinds = kinds
        timeline = Timeline(database: database, events: events, webhooks: webhooks) { queued in
            for kind in kinds where queued.contains(kind.name) { kind.signal.signal() }
        }
        self.maxAttempts = maxAttempts
        self.leasing = leasing
        self.logger = logger
        self.now = now
    }

    private var database: any Database { timeline.database }

    /// Takes back the rows this node left in flight when it stopped (a crash, a kill).
    package func start() async throws {
        let now = now()
        let node = leasing.sharesDatabase ? leasing.node : nil
        let recovered = try await database.write {
            try OutboxRepository($0).recoverInterrupted(node: node, now: now)
        }
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
                let (due, claimed) = try await round(kind.name, handler: kind.handler)
                if claimed == 0 {
                    await kind.signal.wait(timeout: due > 0 ? Self.heldPoll : try await sleepTime(kind.name))
                }
            } catch {
                logger.error("outbox round failed", metadata: ["kind": "\(kind.name)", "error": "\(error)"])
                await kind.signal.wait(timeout: .seconds(1))
            }
        }
    }

    /// Attempts the due rows of `kind` (read, not claimed: each attempt claims its own row),
    /// concurrently but one after another per lane (a lane stops at a row this node could not
    /// claim); returns how many were due and how many of them this node claimed. Throws the first failure to claim or settle a row once every lane
    /// stopped (a lane stops at its first, so texts to one phone keep their order; across nodes,
    /// `OutboxRepository.claim` keeps it).
    private func round<H: Handler>(_ kind: OutboxKind, handler: H) async throws -> (due: Int, claimed: Int) {
        let dueAt = now()
        let items = try await database.read {
            try OutboxRepository($0).due(kind: kind, now: dueAt, limit: Self.batchSize)
        }
        guard !items.isEmpty else { return (0, 0) }
        // One task per lane (a phone); rows without one each get their own.
        var lanes: [[(OutboxItem, H.Attempt)]] = []
        var indexOfLane: [String: Int] = [:]
        for item in items {
            let attempt = handler.attempt(for: item)
            if let lane = item.lane, let index = indexOfLane[lane] {
                lanes[index].append((item, attempt))
            } else {
                if let lane = item.lane { indexOfLane[lane] = lanes.count }
                lanes.append([(item, attempt)])
            }
        }
        let (claimed, failures) = await withTaskGroup(of: (claimed: Int, failure: (any Error)?).self) { group in
            for lane in lanes {
                group.addTask {
                    var claimed = 0
                    do {
                        for (item, attempt) in lane {
                            // The attempt's writes (status events, webhooks) carry the request that queued it.
                            let wasClaimed = try await RequestOrigin.$requestID.withValue(item.requestID) {
                                try await self.attempt(item, attempt, handler: handler)
                            }
                            // Not claimable: the rest of its lane waits behind it (another node has it).
                            guard wasClaimed else { break }
                            claimed += 1
                        }
                        return (claimed, nil)
                    } catch {
                        return (claimed, error)
                    }
                }
            }
            return await group.reduce(into: (0, [any Error]())) { total, lane in
                total.0 += lane.claimed
                if let failure = lane.failure { total.1.append(failure) }
            }
        }
        if let failure = failures.first { throw failure }
        return (items.count, claimed)
    }

    /// One attempt at one row: claimed (with the handler's `begin`) in one transaction, delivered
    /// (the lease renewed meanwhile), settled (with the handler's `finish`) in another. Nothing
    /// happens when the row is not claimable by the time it is claimed (another node has it,
    /// another row of its lane goes first, or the database refuses the claim for the moment), nor
    /// when the claim was lost before the settling.
    /// Returns whether this node claimed the row.
    private func attempt<H: Handler>(_ item: OutboxItem, _ attempt: H.Attempt, handler: H) async throws -> Bool {
        let claimedAt = now()
        let maxAttempts = maxAttempts
        let claimed: (OutboxItem, Begun<H.Attempt>)?
        do {
            claimed = try await claim(item, now: claimedAt) { claimed, writer in
                try handler.begin(attempt, item: claimed, timeline: writer, now: claimedAt)
            }
        } catch let error as StorageError where error.isTemporary {
            // Refused for the moment (on PostgreSQL, conflicts with other nodes' transactions that
            // outlasted the driver's retries; a lost connection): nothing was written, the row is
            // as it was. Its lane stops here and the next round tries it again, still first in its
            // lane; counting a failed attempt would put it behind a backoff, and the phone's later
            // texts would overtake it.
            logger.debug(
                "outbox claim refused for the moment", metadata: ["outbox_id": "\(item.id)", "error": "\(error)"])
            return false
        } catch {
            // Not even started (the message could not be read...): that transaction was rolled
            // back with whatever the handler wrote; the attempt still counts and the row waits its
            // backoff, as when a delivery fails.
            let failure = "\(error)"
            claimed = try await claim(item, now: claimedAt) { _, _ in .settled(.retry(failure, retryAfter: nil)) }
        }
        guard let (item, begun) = claimed else { return false }
        guard case .send(var attempt) = begun else {
            if case .settled(let outcome) = begun { log(item, outcome) }
            return true
        }
        let claim = OutboxClaim(node: leasing.node, attempt: item.attempts)
        let outcome = await renewingLease(of: item.id, claim) { await handler.deliver(&attempt) }
        let settledAt = now()
        let delivered = attempt
        let settled = try await settling { writer in
            guard
                let settlement = try Self.settle(
                    item, claim, outcome, outbox: OutboxRepository(writer.connection), maxAttempts: maxAttempts,
                    now: settledAt)
            else { return false }
            try handler.finish(delivered, settlement, timeline: writer, now: settledAt)
            return true
        }
        guard settled else {
            logger.warning(
                "outbox lease lost before the attempt was settled: another node took the row over",
                metadata: ["outbox_id": "\(item.id)", "kind": "\(item.kind)", "outcome": "\(outcome)"])
            return true
        }
        log(item, outcome)
        return true
    }

    /// Runs `body`, the transaction that settles an attempt, again while the database refuses it
    /// for the moment (PostgreSQL's serialization conflicts with other nodes' claims, a lost
    /// connection), for a few seconds: the row stays this node's for most of its lease, and a
    /// row left unsettled would be sent again once the lease ran out.
    private func settling<T: Sendable>(_ body: @escaping @Sendable (TimelineWriter) throws -> T) async throws -> T {
        var pause = Duration.milliseconds(50)
        for _ in 1..<Self.settleAttempts {
            do {
                return try await timeline.write(body)
            } catch let error as StorageError where error.isTemporary {
                try? await Task.sleep(for: pause * Double.random(in: 0.5...1))
                pause *= 2
            }
        }
        return try await timeline.write(body)
    }

    /// Tries at a settling transaction: pauses of 50 ms doubling, about 6 s in all.
    static let settleAttempts = 8

    /// Runs `body` (an attempt in flight) while its claim's lease is renewed every `renewal`.
    private func renewingLease<T: Sendable>(of id: Int64, _ claim: OutboxClaim, _ body: () async -> T) async -> T {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.renewLease(of: id, claim) }
            let result = await body()
            group.cancelAll()
            return result
        }
    }

    /// Renews the lease of an attempt in flight until cancelled, or until the claim is lost.
    private func renewLease(of id: Int64, _ claim: OutboxClaim) async {
        while (try? await Task.sleep(for: leasing.renewal)) != nil {
            let until = now() + leasing.milliseconds
            do {
                let held = try await database.write {
                    try OutboxRepository($0).renewLease(id: id, claim: claim, until: until)
                }
                guard held else { return }
            } catch {
                logger.warning("outbox lease not renewed", metadata: ["outbox_id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// In one transaction: claims `item` for this node (counting the attempt) and runs `begin` on
    /// it, settling the row there when `begin` settles it; nil when the row is not claimable.
    private func claim<Attempt: Sendable>(
        _ item: OutboxItem, now: Int64,
        begin: @escaping @Sendable (OutboxItem, TimelineWriter) throws -> Begun<Attempt>
    ) async throws -> (OutboxItem, Begun<Attempt>)? {
        let (maxAttempts, node) = (maxAttempts, leasing.node)
        let leaseUntil = now + leasing.milliseconds
        return try await timeline.write { writer in
            let outbox = OutboxRepository(writer.connection)
            guard try outbox.claim(id: item.id, node: node, leaseUntil: leaseUntil, now: now) else { return nil }
            var claimed = item
            claimed.state = .sending
            claimed.attempts += 1
            claimed.claimedBy = node
            claimed.leaseUntil = leaseUntil
            let begun = try begin(claimed, writer)
            if case .settled(let outcome) = begun {
                let claim = OutboxClaim(node: node, attempt: claimed.attempts)
                _ = try Self.settle(claimed, claim, outcome, outbox: outbox, maxAttempts: maxAttempts, now: now)
            }
            return (claimed, begun)
        }
    }

    /// Records an attempt's outcome on its row: done, dead, or back in the queue with a backoff;
    /// nil (nothing recorded) when `claim` no longer holds the row.
    private static func settle(
        _ item: OutboxItem, _ claim: OutboxClaim, _ outcome: Outcome, outbox: OutboxRepository, maxAttempts: Int,
        now: Int64
    ) throws -> Settlement? {
        switch outcome {
        case .delivered:
            return try outbox.markDone(id: item.id, claim: claim, now: now) ? .done : nil
        case .failed(let error):
            return try outbox.markDead(id: item.id, claim: claim, error: error, now: now) ? .dead(gaveUp: false) : nil
        case .deferred(let until):
            return try outbox.postpone(id: item.id, claim: claim, until: until, now: now) ? .pending : nil
        case .retry(let error, let retryAfter):
            guard item.attempts < maxAttempts else {
                let gaveUp = "gave up after \(item.attempts) attempts: \(error)"
                return try outbox.markDead(id: item.id, claim: claim, error: gaveUp, now: now)
                    ? .dead(gaveUp: true) : nil
            }
            let delay = backoff(attempt: item.attempts, retryAfter: retryAfter)
            let rescheduled = try outbox.reschedule(
                id: item.id, claim: claim, nextAttemptAt: now + delay, error: error, now: now)
            return rescheduled ? .pending : nil
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
