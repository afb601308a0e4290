-- 0024 (PostgreSQL): live streams gain the `conversation` event (see
-- migrations/0024_conversation_events.sql).

ALTER TABLE conversation_events DROP CONSTRAINT conversation_events_type;
ALTER TABLE conversation_events ADD CONSTRAINT conversation_events_type
    CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer', 'reply.matched', 'conversation'));
