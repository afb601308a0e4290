-- 0030 (PostgreSQL): one index over a conversation's messages instead of two, as
-- migrations/0030_message_index.sql. Here a text's status change no longer touches an index
-- column of this one, so it can be a heap-only update when its page has room.

DROP INDEX messages_funnel;
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_id, seq, author, direction, channel, created_at);
