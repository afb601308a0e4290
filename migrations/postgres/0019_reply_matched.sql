-- 0019 (PostgreSQL): live streams gain the `reply.matched` event (see migrations/0019_reply_matched.sql).

ALTER TABLE conversation_events DROP CONSTRAINT conversation_events_type;
ALTER TABLE conversation_events ADD CONSTRAINT conversation_events_type
    CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer', 'reply.matched'));
