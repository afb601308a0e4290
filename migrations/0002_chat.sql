-- 0002: web chat. Contacts (one person across sessions and, later, a verified phone), sessions
-- (cookie token hash → contact), conversations, messages, the per-conversation event log that
-- live streams replay from, and the transactional outbox. Times are Unix milliseconds.

CREATE TABLE contacts (
    id          TEXT    PRIMARY KEY,
    phone_e164  TEXT    UNIQUE,          -- set once a phone is verified (handoff issue)
    locale      TEXT,
    time_zone   TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY,
    token_hash    BLOB    NOT NULL UNIQUE, -- SHA-256 of the cookie token; the token itself is never stored
    contact_id    TEXT    NOT NULL REFERENCES contacts (id),
    page_url      TEXT,
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL         -- sliding: moved forward on use
);
CREATE INDEX sessions_contact ON sessions (contact_id);

CREATE TABLE conversations (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT, -- list order and cursor
    id                TEXT    NOT NULL UNIQUE,
    contact_id        TEXT    NOT NULL REFERENCES contacts (id),
    state             TEXT    NOT NULL CHECK (state IN ('open', 'escalated', 'closed')),
    queue             TEXT,
    escalation_reason TEXT,
    active_channel    TEXT    NOT NULL DEFAULT 'web' CHECK (active_channel IN ('web', 'sms')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    closed_at         INTEGER
);
CREATE INDEX conversations_contact ON conversations (contact_id, state);
CREATE INDEX conversations_state ON conversations (state, queue, seq);

CREATE TABLE messages (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT, -- history order and cursor
    id                  TEXT    NOT NULL UNIQUE,
    conversation_id     TEXT    NOT NULL REFERENCES conversations (id),
    direction           TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel             TEXT    NOT NULL CHECK (channel IN ('web', 'sms')),
    author              TEXT    NOT NULL CHECK (author IN ('visitor', 'bot', 'agent', 'system')),
    body                TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    segments            INTEGER,
    provider_message_id TEXT    UNIQUE,
    -- Idempotency: "<author>:<client_id or Idempotency-Key>", unique within a conversation.
    client_key          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_client_key ON messages (conversation_id, client_key) WHERE client_key IS NOT NULL;

-- Everything a widget's live stream shows, in order; `seq` is the SSE event id.
CREATE TABLE conversation_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    type            TEXT    NOT NULL CHECK (type IN ('message', 'message_status', 'handoff')),
    payload         TEXT    NOT NULL, -- JSON
    created_at      INTEGER NOT NULL
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, seq);

-- Work that must follow a committed change: SMS to send, business webhooks to deliver.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('sms', 'webhook')),
    payload         TEXT    NOT NULL, -- JSON
    message_id      TEXT    REFERENCES messages (id),
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
