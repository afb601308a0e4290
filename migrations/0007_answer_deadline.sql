-- 0007: since when each conversation's customer has been waiting for an answer, kept by triggers
-- on new messages, so the answer-SLA check reads an index instead of every open conversation's
-- last message (its cost grew with the number of open conversations).

-- Unix milliseconds of the oldest customer message no bot or agent has answered yet; NULL when
-- the customer is not waiting. System notices (holding texts, handoff notes) are not answers.
ALTER TABLE conversations ADD COLUMN awaiting_reply_since INTEGER;

UPDATE conversations SET awaiting_reply_since = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author = 'visitor'
        AND m.seq > coalesce((
            SELECT max(a.seq) FROM messages a
            WHERE a.conversation_id = conversations.id AND a.author IN ('bot', 'agent')), 0));

CREATE INDEX conversations_awaiting_reply ON conversations (state, awaiting_reply_since)
    WHERE awaiting_reply_since IS NOT NULL;

CREATE TRIGGER messages_customer_waits AFTER INSERT ON messages WHEN NEW.author = 'visitor'
BEGIN
    UPDATE conversations SET awaiting_reply_since = NEW.created_at
    WHERE id = NEW.conversation_id AND awaiting_reply_since IS NULL;
END;

CREATE TRIGGER messages_customer_answered AFTER INSERT ON messages WHEN NEW.author IN ('bot', 'agent')
BEGIN
    UPDATE conversations SET awaiting_reply_since = NULL
    WHERE id = NEW.conversation_id AND awaiting_reply_since IS NOT NULL;
END;
