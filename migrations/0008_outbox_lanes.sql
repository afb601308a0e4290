-- 0008: each kind of outbox row (texts, business webhooks) is claimed by its own dispatcher
-- loop, so a slow webhook receiver never holds up texts to customers: the due-row index leads
-- with the kind.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, kind, priority, next_attempt_at);
