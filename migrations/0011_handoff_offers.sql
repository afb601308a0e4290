-- 0011: the handoff offer ("Can we text you the answer?"). Every offer shown, with why and when,
-- so the time from offer to verified phone can be measured; the widget's own offers name the
-- visitor's question they answer (at most one offer per question) and a refusal keeps the
-- widget from offering again in that session. Live streams gain the `handoff_offer` event:
-- SQLite cannot change a CHECK constraint in place, so the event log is rebuilt with it.

CREATE TABLE handoff_offers (
    id                  TEXT    PRIMARY KEY,
    conversation_id     TEXT    NOT NULL REFERENCES conversations (id),
    session_id          TEXT    REFERENCES sessions (id),  -- set for the widget's own offers
    reason              TEXT    NOT NULL CHECK (reason IN ('slow_answer', 'tab_hidden', 'agent', 'bot')),
    question_message_id TEXT,                              -- the visitor's question it offers to answer
    state               TEXT    NOT NULL CHECK (state IN ('shown', 'declined', 'accepted')),
    created_at          INTEGER NOT NULL,
    answered_at         INTEGER                            -- declined, or the phone verified
);
CREATE INDEX handoff_offers_conversation ON handoff_offers (conversation_id, created_at);
CREATE INDEX handoff_offers_session ON handoff_offers (session_id, state) WHERE session_id IS NOT NULL;
CREATE UNIQUE INDEX handoff_offers_question ON handoff_offers (question_message_id)
    WHERE question_message_id IS NOT NULL;

CREATE TABLE conversation_events_new (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    type            TEXT    NOT NULL CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer')),
    payload         TEXT    NOT NULL, -- JSON
    created_at      INTEGER NOT NULL
);
INSERT INTO conversation_events_new (seq, conversation_id, type, payload, created_at)
    SELECT seq, conversation_id, type, payload, created_at FROM conversation_events ORDER BY seq;
-- Event ids are never reused, even those of deleted events: the new table continues the old count.
DELETE FROM sqlite_sequence WHERE name = 'conversation_events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'conversation_events_new', seq FROM sqlite_sequence WHERE name = 'conversation_events';
DROP TABLE conversation_events;
ALTER TABLE conversation_events_new RENAME TO conversation_events;
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, seq);
CREATE INDEX conversation_events_created ON conversation_events (created_at);
