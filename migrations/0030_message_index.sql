-- 0030: one index over a conversation's messages instead of two. `messages_conversation`
-- (conversation_id, seq) was a prefix of `messages_funnel` (0026), so every message paid two
-- random index pages (one more write-ahead log frame per message, flushed and checkpointed) where
-- one does. The report reads the roll-up since 0027, not the messages, so `status` leaves the index
-- too: a text's status changes (sending, sent, delivered) no longer rewrite its entry. What stays
-- covers every walk of a conversation's messages: history and cursors by seq, the customer's last
-- text (direction, channel, created_at) and the roll-up's answers (author).

DROP INDEX messages_funnel;
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_id, seq, author, direction, channel, created_at);
