-- 0014: proactive texts (issue 18). One row per text a business asked for: to whom, under which
-- program, from which approved template version (and A/B variant), when. A scheduled row has no
-- message yet; once released it points at the message, whose delivery status is the text's.

CREATE TABLE outbound (
    id               TEXT    PRIMARY KEY,
    to_e164          TEXT    NOT NULL,
    contact_id       TEXT    NOT NULL REFERENCES contacts (id),
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id),
    program          TEXT    NOT NULL,
    template_id      TEXT    NOT NULL REFERENCES templates (id),
    template_version INTEGER NOT NULL,
    variant          TEXT,
    campaign         TEXT,
    body             TEXT    NOT NULL, -- the text as rendered when it was accepted
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'released', 'canceled', 'suppressed')),
    message_id       TEXT    REFERENCES messages (id),
    send_at          INTEGER NOT NULL,
    client_key       TEXT    UNIQUE,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX outbound_due ON outbound (send_at) WHERE state = 'scheduled';
CREATE INDEX outbound_recipient ON outbound (to_e164, program, send_at);
