-- 0005 (PostgreSQL): inbound texts, as migrations/0005_inbound.sql. The primary key on the
-- provider's event id is what stores a webhook delivered twice (to one node or two) once.

CREATE TABLE inbound_events (
    provider_event_id TEXT    PRIMARY KEY,
    gateway           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,   -- 'message' or 'status'
    raw               TEXT    NOT NULL,   -- the form body as received
    received_at       BIGINT  NOT NULL
);

ALTER TABLE messages ADD COLUMN media TEXT; -- JSON array of media URLs, for MMS
