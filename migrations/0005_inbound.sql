-- 0005: inbound texts. The raw webhook of every inbound event (once per provider id, for audit
-- and replays), and media references of MMS (URLs only: never fetched by default).

CREATE TABLE inbound_events (
    provider_event_id TEXT    PRIMARY KEY,
    gateway           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,   -- 'message' or 'status'
    raw               TEXT    NOT NULL,   -- the form body as received
    received_at       INTEGER NOT NULL
);

ALTER TABLE messages ADD COLUMN media TEXT; -- JSON array of media URLs, for MMS
