public import DatabaseDriver
public import HandoffCore

/// One row of the transactional outbox: work that must follow a committed change.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int64
    public var kind: OutboxKind
    /// The work's JSON description.
    public var payload: String
    public var messageID: String?
    public var state: OutboxState
    public var attempts: Int
    /// 0: a reply in a live conversation; 1: a proactive send (replies go first).
    public var priority: Int
    public var nextAttemptAt: Int64
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The request that queued the work.
    public var requestID: String?
    /// Rows of one lane go out one at a time, in queue order (a text's phone); nil: no order.
    public var lane: String?
    /// The node attempting the row (the last one that did, once settled).
    public var claimedBy: String?
    /// Until when (Unix ms) `claimedBy` holds the row while it is `sending`.
    public var leaseUntil: Int64?
}

/// A node's hold on a row it is attempting: the node, and the attempt its claim counted. Every
/// later change of the attempt checks it, so a node whose lease ran out (and whose row another
/// node took over) changes nothing.
public struct OutboxClaim: Sendable, Equatable {
    public var node: String
    public var attempt: Int

    public init(node: String, attempt: Int) {
        self.node = node
        self.attempt = attempt
    }
}

/// The SQL of the outbox: enqueue inside a use case's transaction, claim due rows, record
/// outcomes, and the dead-letter view operators work with.
///
/// Any number of nodes may dispatch from one database. A node claims a row with a lease (the row
/// is `sending`, `claimed_by` the node, until `lease_until`), renews it while its attempt is in
/// flight, and settles the row only while its claim holds; a row whose lease ran out (its node
/// died) is claimable by any node. Within a lane only one row is in flight at a time, and it is
/// the first due one in queue order: texts to one phone leave in the order they were written,
/// whichever nodes send them.
public struct OutboxRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Adds work due at `now` in `lane` (nil: no order), recording the request that queued it;
    /// returns its id.
    @discardableResult
    public func enqueue(
        kind: OutboxKind, payload: String, messageID: String?, lane: String? = nil, priority: Int = 0,
        requestID: String?, now: Int64
    ) throws(StorageError) -> Int64 {
        try connection.insert(
            """
            INSERT INTO outbox (kind, payload, message_id, lane, state, attempts, next_attempt_at, priority, created_at,
                updated_at, request_id)
            VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)
            """,
            [
                .text(kind), .text(payload), .optionalText(messageID), .optionalText(lane), .integer(now),
                .int(priority), .integer(now), .integer(now), .optionalText(requestID),
            ], returningKey: "id")
    }

    /// Up to `limit` rows of `kind` to attempt: pending ones that fell due, and `sending` ones whose
    /// lease ran out (their node died mid-attempt); replies (priority 0) before proactive sends,
    /// then oldest first. Reading them claims nothing (see `claim`).
    public func due(kind: OutboxKind, now: Int64, limit: Int) throws(StorageError) -> [OutboxItem] {
        let pending = try connection.query(
            """
            SELECT * FROM outbox WHERE state = 'pending' AND kind = ? AND next_attempt_at <= ?
            ORDER BY priority, next_attempt_at, id LIMIT ?
            """,
            [.text(kind), .integer(now), .int(limit)]
        ).map(Self.item)
        let abandoned = try connection.query(
            """
            SELECT * FROM outbox WHERE state = 'sending' AND kind = ? AND lease_until <= ?
            ORDER BY priority, next_attempt_at, id LIMIT ?
            """,
            [.text(kind), .integer(now), .int(limit)]
        ).map(Self.item)
        guard !abandoned.isEmpty else { return pending }
        let inQueueOrder = (pending + abandoned).sorted {
            ($0.priority, $0.nextAttemptAt, $0.id) < ($1.priority, $1.nextAttemptAt, $1.id)
        }
        return Array(inQueueOrder.prefix(limit))
    }

    /// Claims a row for `node` until `leaseUntil` and counts the attempt, committed before the
    /// attempt is made; false when the row is not claimable now: not due, in flight on a node
    /// whose lease holds, another transaction is claiming it (PostgreSQL skips a locked row rather
    /// than wait for it), or another row of its lane goes first (one in flight, or an earlier one
    /// due: `due`'s order).
    public func claim(id: Int64, node: String, leaseUntil: Int64, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?1, lease_until = ?2,
                updated_at = ?3
            WHERE id = (
                SELECT o.id FROM outbox o
                WHERE o.id = ?4
                    AND ((o.state = 'pending' AND o.next_attempt_at <= ?3) OR (o.state = 'sending' AND o.lease_until <= ?3))
                    AND (o.lane IS NULL OR NOT EXISTS (
                        SELECT 1 FROM outbox e
                        WHERE e.lane = o.lane AND e.state IN ('pending', 'sending') AND e.id <> o.id
                            AND ((e.state = 'sending' AND e.lease_until > ?3)
                                OR ((e.state = 'sending' OR e.next_attempt_at <= ?3)
                                    AND (e.priority, e.next_attempt_at, e.id) < (o.priority, o.next_attempt_at, o.id)))))
                \(connection.dialect.lockSkippingLocked))
            """,
            [.text(node), .integer(leaseUntil), .integer(now), .integer(id)]) == 1
    }

    /// Extends the lease of an attempt in flight; false when `claim` no longer holds the row (its
    /// lease ran out and another node took the row over, or it was settled).
    public func renewLease(id: Int64, claim: OutboxClaim, until: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND \(Self.held)",
            [.integer(until), .integer(id), .text(claim.node), .int(claim.attempt)]) == 1
    }

    /// The earliest time a row of `kind` falls due (a pending row's next attempt, a lease that runs
    /// out), if any.
    public func nextDueTime(kind: OutboxKind) throws(StorageError) -> Int64? {
        let row = try connection.queryOne(
            """
            SELECT (SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND kind = ?1) AS pending,
                (SELECT min(lease_until) FROM outbox WHERE state = 'sending' AND kind = ?1) AS lease
            """, [.text(kind)])
        let (pending, lease): (Int64?, Int64?) = try (row?.get("pending"), row?.get("lease"))
        return [pending, lease].compactMap { $0 }.min()
    }

    /// The attempt `claim` made is settled: done. False (nothing changed) when the claim no longer holds.
    public func markDone(id: Int64, claim: OutboxClaim, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE outbox SET state = 'done', last_error = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND \(Self.held)",
            [.integer(now), .integer(id), .text(claim.node), .int(claim.attempt)]) == 1
    }

    /// Puts a failed attempt back in the queue for `nextAttemptAt`. False when the claim no longer holds.
    public func reschedule(
        id: Int64, claim: OutboxClaim, nextAttemptAt: Int64, error: String, now: Int64
    ) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, lease_until = NULL, updated_at = ?
            WHERE id = ? AND \(Self.held)
            """,
            [
                .integer(nextAttemptAt), .text(error), .integer(now), .integer(id), .text(claim.node),
                .int(claim.attempt),
            ]
        ) == 1
    }

    /// Waits without counting the attempt just made (quiet hours). False when the claim no longer holds.
    public func postpone(id: Int64, claim: OutboxClaim, until: Int64, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                next_attempt_at = ?, lease_until = NULL, updated_at = ?
            WHERE id = ? AND \(Self.held)
            """,
            [.integer(until), .integer(now), .integer(id), .text(claim.node), .int(claim.attempt)]) == 1
    }

    /// Dead-letters the row of the attempt `claim` made. False when the claim no longer holds.
    public func markDead(id: Int64, claim: OutboxClaim, error: String, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE outbox SET state = 'dead', last_error = ?, lease_until = NULL, updated_at = ? WHERE id = ? AND \(Self.held)",
            [.text(error), .integer(now), .integer(id), .text(claim.node), .int(claim.attempt)]) == 1
    }

    /// The condition of a row still held by a claim: `claimed_by = ? AND attempts = ?` bound last.
    private static let held = "state = 'sending' AND claimed_by = ? AND attempts = ?"

    /// At a node's start: rows it left in `sending` when it stopped (a crash, a kill) go back to
    /// `pending`, due as they were (so still before the later rows of their lanes); with `node`
    /// nil (a database no other process uses: SQLite under its lock), every row in `sending`.
    /// Returns how many. (An attempt that reached the other side before the crash is then made
    /// again: at least once.) Rows of other nodes are theirs until their leases run out.
    @discardableResult
    public func recoverInterrupted(node: String?, now: Int64) throws(StorageError) -> Int {
        try connection.execute(
            """
            UPDATE outbox SET state = 'pending', lease_until = NULL, updated_at = ?
            WHERE state = 'sending' AND (CAST(? AS TEXT) IS NULL OR claimed_by = ?)
            """,
            [.integer(now), .optionalText(node), .optionalText(node)])
    }

    /// Rows in `state` (every state when nil) of `kind` (every kind when nil), by id, after `afterID`.
    public func list(state: OutboxState?, kind: OutboxKind?, afterID: Int64, limit: Int) throws(StorageError)
        -> [OutboxItem]
    {
        try connection.query(
            """
            SELECT * FROM outbox
            WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR state = ?) AND (CAST(? AS TEXT) IS NULL OR kind = ?)
            ORDER BY id LIMIT ?
            """,
            [
                .integer(afterID), .optionalText(state?.rawValue), .optionalText(state?.rawValue),
                .optionalText(kind?.rawValue), .optionalText(kind?.rawValue), .int(limit),
            ]
        ).map(Self.item)
    }

    public func item(id: Int64) throws(StorageError) -> OutboxItem? {
        try connection.queryOne("SELECT * FROM outbox WHERE id = ?", [.integer(id)]).map(Self.item)
    }

    /// Sends a dead-lettered row again from attempt one. False when `id` is not dead-lettered.
    public func replay(id: Int64, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
            WHERE id = ? AND state = 'dead'
            """,
            [.integer(now), .integer(now), .integer(id)]) == 1
    }

    /// Withdraws the `sms` row of `messageID` while it still waits (pending: queued, or deferred by
    /// quiet hours); false when it is being sent or was settled. Claims need a pending row too, so
    /// of a withdrawal and a claim of the same row exactly one succeeds.
    public func withdraw(messageID: String, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'discarded', last_error = 'canceled', updated_at = ?
            WHERE message_id = ? AND kind = 'sms' AND state = 'pending'
            """, [.integer(now), .text(messageID)]) > 0
    }

    /// Gives up on a pending or dead-lettered row for good. False when `id` is in neither state.
    public func discard(id: Int64, reason: String, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'discarded', last_error = ?, updated_at = ?
            WHERE id = ? AND state IN ('pending', 'dead')
            """,
            [.text(reason), .integer(now), .integer(id)]) == 1
    }

    /// Deletes finished rows (done or discarded) last touched before `cutoff`; returns how many.
    @discardableResult
    public func purgeFinished(before cutoff: Int64, limit: Int) throws(StorageError) -> Int {
        try connection.execute(
            """
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox WHERE state IN ('done', 'discarded') AND updated_at < ? LIMIT ?)
            """,
            [.integer(cutoff), .int(limit)])
    }

    /// Depth (pending or in flight), dead letters and the oldest pending row's creation time, per
    /// kind of `kinds` (each is listed, zero when empty; the caller knows which kinds exist). Reads
    /// only unfinished rows, through the index.
    public func gauges(
        kinds: [OutboxKind]
    ) throws(StorageError) -> [(kind: OutboxKind, depth: Int, dead: Int, oldestPendingAt: Int64?)] {
        let rows = try connection.query(
            """
            SELECT kind, state, count(*) AS n, min(created_at) AS oldest FROM outbox
            WHERE state IN ('pending', 'sending', 'dead') GROUP BY kind, state
            """)
        var counts: [OutboxKind: [OutboxState: (count: Int, oldest: Int64)]] = [:]
        for row in rows {
            let (kind, state): (OutboxKind, OutboxState) = try (row.get("kind"), row.get("state"))
            counts[kind, default: [:]][state] = try (row.get("n"), row.get("oldest"))
        }
        return kinds.map { kind in
            let ofKind = counts[kind] ?? [:]
            func count(_ state: OutboxState) -> Int { ofKind[state]?.count ?? 0 }
            return (kind, count(.pending) + count(.sending), count(.dead), ofKind[.pending]?.oldest)
        }
    }

    /// When proactive texts (priority 1) to `phone` were sent since `since`, oldest first.
    public func proactiveSendTimes(to phone: String, since: Int64) throws(StorageError) -> [Int64] {
        try connection.query(
            """
            SELECT m.updated_at AS at FROM messages m JOIN outbox o ON o.message_id = m.id
            WHERE m.to_e164 = ? AND o.state = 'done' AND o.kind = 'sms' AND o.priority = 1 AND m.updated_at > ?
            ORDER BY m.updated_at
            """,
            [.text(phone), .integer(since)]
        ).map { row throws(StorageError) in try row.get("at", as: Int64.self) }
    }

    private static func item(_ row: Row) throws(StorageError) -> OutboxItem {
        try OutboxItem(
            id: row.get("id"), kind: row.get("kind"), payload: row.get("payload"), messageID: row.get("message_id"),
            state: row.get("state"), attempts: row.get("attempts"), priority: row.get("priority"),
            nextAttemptAt: row.get("next_attempt_at"),
            lastError: row.get("last_error"), createdAt: row.get("created_at"), updatedAt: row.get("updated_at"),
            requestID: row.get("request_id"), lane: row.get("lane"), claimedBy: row.get("claimed_by"),
            leaseUntil: row.get("lease_until"))
    }
}
