-- 0007 (PostgreSQL): since when each conversation's customer has been waiting for an answer,
-- kept by triggers on new messages, as migrations/0007_answer_deadline.sql.

ALTER TABLE conversations ADD COLUMN awaiting_reply_since BIGINT;

UPDATE conversations SET awaiting_reply_since = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author = 'visitor'
        AND m.seq > coalesce((
            SELECT max(a.seq) FROM messages a
            WHERE a.conversation_id = conversations.id AND a.author IN ('bot', 'agent')), 0));

CREATE INDEX conversations_awaiting_reply ON conversations (state, awaiting_reply_since)
    WHERE awaiting_reply_since IS NOT NULL;

CREATE FUNCTION messages_customer_waits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET awaiting_reply_since = NEW.created_at
    WHERE id = NEW.conversation_id AND awaiting_reply_since IS NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER messages_customer_waits AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.author = 'visitor') EXECUTE FUNCTION messages_customer_waits();

CREATE FUNCTION messages_customer_answered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET awaiting_reply_since = NULL
    WHERE id = NEW.conversation_id AND awaiting_reply_since IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER messages_customer_answered AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.author IN ('bot', 'agent')) EXECUTE FUNCTION messages_customer_answered();
