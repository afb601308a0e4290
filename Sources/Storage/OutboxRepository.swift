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
    public var nextAttemptAt: Int64
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The request that queued the work.
    public var requestID: String?
}

/// The SQL of the outbox: enqueue inside a use case's transaction, claim due rows, record
/// outcomes, and the dead-letter view operators work with.
public struct OutboxRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Adds work due at `now`, recording the request that queued it; returns its id.
    @discardableResult
    public func enqueue(
        kind: OutboxKind, payload: String, messageID: String?, priority: Int = 0, requestID: String?, now: Int64
    ) throws(StorageError) -> Int64 {
        try connection.queryValue(
            """
            INSERT INTO outbox (kind, payload, message_id, state, attempts, next_attempt_at, priority, created_at,
                updated_at, request_id)
            VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .text(kind), .text(payload), .optionalText(messageID), .integer(now), .int(priority), .integer(now),
                .integer(now), .optionalText(requestID),
            ], column: "id")
    }

    /// Up to `limit` due rows of `kind`: replies (priority 0) before proactive sends, then oldest
    /// first. Reading them claims nothing (see `claim`).
    public func due(kind: OutboxKind, now: Int64, limit: Int) throws(StorageError) -> [OutboxItem] {
        try connection.query(
            """
            SELECT * FROM outbox WHERE state = 'pending' AND kind = ? AND next_attempt_at <= ?
            ORDER BY priority, next_attempt_at, id LIMIT ?
            """,
            [.text(kind), .integer(now), .int(limit)]
        ).map(Self.item)
    }

    /// Marks a pending row `sending` and counts the attempt; false when it is no longer pending.
    public func claim(id: Int64, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            """
            UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
            WHERE id = ? AND state = 'pending'
            """,
            [.integer(now), .integer(id)]) == 1
    }

    /// The earliest time a pending row of `kind` falls due, if any.
    public func nextDueTime(kind: OutboxKind) throws(StorageError) -> Int64? {
        try connection.queryValue(
            "SELECT min(next_attempt_at) AS due FROM outbox WHERE state = 'pending' AND kind = ?", [.text(kind)],
            column: "due")
    }

    public func markDone(id: Int64, now: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE outbox SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?",
            [.integer(now), .integer(id)])
    }

    /// Puts a failed attempt back in the queue for `nextAttemptAt`.
    public func reschedule(id: Int64, nextAttemptAt: Int64, error: String, now: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?",
            [.integer(nextAttemptAt), .text(error), .integer(now), .integer(id)])
    }

    /// Waits without counting the attempt just made (quiet hours).
    public func postpone(id: Int64, until: Int64, now: Int64) throws(StorageError) {
        try connection.execute(
            """
            UPDATE outbox SET state = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                next_attempt_at = ?, updated_at = ?
            WHERE id = ?
            """,
            [.integer(until), .integer(now), .integer(id)])
    }

    public func markDead(id: Int64, error: String, now: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?",
            [.text(error), .integer(now), .integer(id)])
    }

    /// After a crash: rows left in `sending` go back to `pending`, due now. Returns how many.
    /// (An attempt that reached the other side before the crash is then made again: at least once.)
    @discardableResult
    public func recoverInterrupted(now: Int64) throws(StorageError) -> Int {
        try connection.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'sending'",
            [.integer(now), .integer(now)])
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
            state: row.get("state"), attempts: row.get("attempts"), nextAttemptAt: row.get("next_attempt_at"),
            lastError: row.get("last_error"), createdAt: row.get("created_at"), updatedAt: row.get("updated_at"),
            requestID: row.get("request_id"))
    }
}
