-- 0003: SMS out. Numbers that must not be texted, the gateway's error code on a message, the
-- recipient of an SMS, and outbox priorities (replies to a customer go before proactive sends).

CREATE TABLE suppressions (
    phone_e164  TEXT    PRIMARY KEY,
    reason      TEXT    NOT NULL,  -- 'stop_keyword', 'carrier_opt_out' (Twilio 21610), 'web', 'operator'
    source      TEXT,              -- e.g. the MessageSid or request id that caused it
    created_at  INTEGER NOT NULL
);

ALTER TABLE messages ADD COLUMN error_code INTEGER;
ALTER TABLE messages ADD COLUMN to_e164 TEXT;

-- 0 = a reply in a live conversation, 1 = proactive (reminders, follow-ups).
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, priority, next_attempt_at);
