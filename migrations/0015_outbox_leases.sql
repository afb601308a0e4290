-- 0015: more than one node on one database (issue 17). An outbox row is claimed with a lease:
-- the node that sends it (`claimed_by`) and until when (`lease_until`, Unix ms), renewed while the
-- send is in flight; a row whose lease ran out is taken over by any node. `lane` names the rows
-- that go out one at a time in queue order (a text's phone); NULL: no order.
ALTER TABLE outbox ADD COLUMN lane TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
UPDATE outbox SET lane = (SELECT to_e164 FROM messages WHERE messages.id = outbox.message_id)
WHERE kind = 'sms' AND state IN ('pending', 'sending');
-- Rows in flight from before leases: theirs has run out, any node takes them over.
UPDATE outbox SET lease_until = 0 WHERE state = 'sending';
-- A claim looks at the other rows of its lane; rows in flight are found by when their leases end.
CREATE INDEX outbox_lane ON outbox (lane, state, priority, next_attempt_at);
CREATE INDEX outbox_in_flight ON outbox (kind, lease_until) WHERE state = 'sending';

-- Work that runs on one node of the cluster at a time (the answer-deadline sweep, the retention
-- purge, scheduled texts): the node that holds the lease of that name, until when (Unix ms).
CREATE TABLE leases (
    name   TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL
);
