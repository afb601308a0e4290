-- 0003 (PostgreSQL): SMS out, as migrations/0003_sms.sql.

CREATE TABLE suppressions (
    phone_e164  TEXT    PRIMARY KEY,
    reason      TEXT    NOT NULL,  -- 'stop_keyword', 'carrier_opt_out' (Twilio 21610), 'web', 'operator'
    source      TEXT,              -- e.g. the MessageSid or request id that caused it
    created_at  BIGINT  NOT NULL
);

ALTER TABLE messages ADD COLUMN error_code BIGINT;
ALTER TABLE messages ADD COLUMN to_e164 TEXT;

-- 0 = a reply in a live conversation, 1 = proactive (reminders, follow-ups).
ALTER TABLE outbox ADD COLUMN priority BIGINT NOT NULL DEFAULT 0;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, priority, next_attempt_at);
