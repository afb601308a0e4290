-- 0015 (PostgreSQL): outbox leases, lanes and the cluster's lease rows, as
-- migrations/0015_outbox_leases.sql.
ALTER TABLE outbox ADD COLUMN lane TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;
UPDATE outbox SET lane = (SELECT to_e164 FROM messages WHERE messages.id = outbox.message_id)
WHERE kind = 'sms' AND state IN ('pending', 'sending');
UPDATE outbox SET lease_until = 0 WHERE state = 'sending';
CREATE INDEX outbox_lane ON outbox (lane, state, priority, next_attempt_at);
CREATE INDEX outbox_in_flight ON outbox (kind, lease_until) WHERE state = 'sending';

CREATE TABLE leases (
    name   TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  BIGINT  NOT NULL
);
