-- 0009 (PostgreSQL): a customer's text is found from its raw webhook by the message it became,
-- as migrations/0009_inbound_message_link.sql.
ALTER TABLE inbound_events ADD COLUMN message_id TEXT; -- the message the webhook became
UPDATE inbound_events SET message_id = (
    SELECT id FROM messages
    WHERE provider_message_id = inbound_events.provider_event_id AND direction = 'inbound')
WHERE kind = 'message';
UPDATE messages SET provider_message_id = NULL WHERE direction = 'inbound';
CREATE INDEX inbound_events_message ON inbound_events (message_id) WHERE message_id IS NOT NULL;
