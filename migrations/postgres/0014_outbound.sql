-- 0014 (PostgreSQL): proactive texts, as migrations/0014_outbound.sql.

CREATE TABLE outbound (
    id               TEXT    PRIMARY KEY,
    to_e164          TEXT    NOT NULL,
    contact_id       TEXT    NOT NULL REFERENCES contacts (id),
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id),
    program          TEXT    NOT NULL,
    template_id      TEXT    NOT NULL REFERENCES templates (id),
    template_version BIGINT  NOT NULL,
    variant          TEXT,
    campaign         TEXT,
    body             TEXT    NOT NULL, -- the text as rendered when it was accepted
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'released', 'canceled', 'suppressed')),
    message_id       TEXT    REFERENCES messages (id),
    send_at          BIGINT  NOT NULL,
    client_key       TEXT    UNIQUE,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX outbound_due ON outbound (send_at) WHERE state = 'scheduled';
CREATE INDEX outbound_recipient ON outbound (to_e164, program, send_at);
