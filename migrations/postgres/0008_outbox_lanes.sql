-- 0008 (PostgreSQL): the due-row index leads with the kind, as migrations/0008_outbox_lanes.sql.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, kind, priority, next_attempt_at);
