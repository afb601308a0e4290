-- 0028 (PostgreSQL): live streams gain the `message_updated` event (see
-- migrations/0028_message_updated.sql).

ALTER TABLE conversation_events DROP CONSTRAINT conversation_events_type;
ALTER TABLE conversation_events ADD CONSTRAINT conversation_events_type
    CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer', 'reply.matched', 'conversation',
        'message_updated'));
