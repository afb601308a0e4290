-- 0011 (PostgreSQL): the handoff offer, as migrations/0011_handoff_offers.sql. The event log's
-- CHECK gains `handoff_offer` in place (SQLite rebuilds the table; its ids continue either way).

CREATE TABLE handoff_offers (
    id                  TEXT    PRIMARY KEY,
    conversation_id     TEXT    NOT NULL REFERENCES conversations (id),
    session_id          TEXT    REFERENCES sessions (id),  -- set for the widget's own offers
    reason              TEXT    NOT NULL CHECK (reason IN ('slow_answer', 'tab_hidden', 'agent', 'bot')),
    question_message_id TEXT,                              -- the visitor's question it offers to answer
    state               TEXT    NOT NULL CHECK (state IN ('shown', 'declined', 'accepted')),
    created_at          BIGINT  NOT NULL,
    answered_at         BIGINT                             -- declined, or the phone verified
);
CREATE INDEX handoff_offers_conversation ON handoff_offers (conversation_id, created_at);
CREATE INDEX handoff_offers_session ON handoff_offers (session_id, state) WHERE session_id IS NOT NULL;
CREATE UNIQUE INDEX handoff_offers_question ON handoff_offers (question_message_id)
    WHERE question_message_id IS NOT NULL;

ALTER TABLE conversation_events DROP CONSTRAINT conversation_events_type;
ALTER TABLE conversation_events ADD CONSTRAINT conversation_events_type
    CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer'));
