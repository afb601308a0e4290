-- 0009: a customer's text is found from its raw webhook by the message it became, not by its
-- MessageSid on the message row. `inbound_events` already keys the MessageSid (deduplication);
-- a second unique index on the same random ids in `messages` cost a random page per text in
-- every commit. `messages.provider_message_id` now holds only the gateway's id of our own texts,
-- which delivery reports look up.
ALTER TABLE inbound_events ADD COLUMN message_id TEXT; -- the message the webhook became
UPDATE inbound_events SET message_id = (
    SELECT id FROM messages
    WHERE provider_message_id = inbound_events.provider_event_id AND direction = 'inbound')
WHERE kind = 'message';
UPDATE messages SET provider_message_id = NULL WHERE direction = 'inbound';
CREATE INDEX inbound_events_message ON inbound_events (message_id) WHERE message_id IS NOT NULL;
