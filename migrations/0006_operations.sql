-- 0006: operations. The request that queued each outbox row (its later work logs under the same
-- id), outbox rows an operator discarded, an append-only audit of every suppression change, and
-- when a message body was purged by the retention policy.

-- SQLite cannot change a CHECK constraint in place: the outbox is rebuilt with the new state.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('sms', 'webhook')),
    payload         TEXT    NOT NULL, -- JSON
    message_id      TEXT    REFERENCES messages (id),
    state           TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'sending', 'done', 'dead', 'discarded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    request_id      TEXT              -- the HTTP request (or inbound webhook) that queued it
);
INSERT INTO outbox_new (id, kind, payload, message_id, state, attempts, next_attempt_at, last_error, created_at,
    updated_at, priority)
SELECT id, kind, payload, message_id, state, attempts, next_attempt_at, last_error, created_at, updated_at, priority
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, priority, next_attempt_at);
-- The retention purge finds finished rows by age; /metrics counts unfinished rows by kind.
CREATE INDEX outbox_finished ON outbox (state, updated_at);
CREATE INDEX outbox_state_kind ON outbox (state, kind, created_at);

CREATE TABLE suppression_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_e164  TEXT    NOT NULL,          -- hashed once the number's data is erased
    action      TEXT    NOT NULL CHECK (action IN ('added', 'removed')),
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,          -- 'customer', 'gateway', 'operator:<key id>', 'cli'
    request_id  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX suppression_changes_phone ON suppression_changes (phone_e164, seq);
CREATE TRIGGER suppression_changes_are_kept BEFORE DELETE ON suppression_changes
BEGIN
    SELECT RAISE(ABORT, 'the suppression audit is append-only');
END;
CREATE INDEX suppressions_created ON suppressions (created_at, phone_e164);

ALTER TABLE messages ADD COLUMN purged_at INTEGER; -- body removed by the retention policy
CREATE INDEX messages_created ON messages (created_at) WHERE purged_at IS NULL;
CREATE INDEX conversation_events_created ON conversation_events (created_at);
CREATE INDEX inbound_events_received ON inbound_events (received_at);
