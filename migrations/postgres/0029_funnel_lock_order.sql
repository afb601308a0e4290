-- 0029 (PostgreSQL): every write that reaches a conversation's funnel roll-up row (0027) locks
-- the conversation's row first, as a conversation update does (its row, then its trigger the
-- roll-up row). Before, a message insert locked the roll-up row first (funnel_message_added fires
-- before messages_customer_waits and messages_customer_answered, triggers firing in name order)
-- and then the conversation's row, as did a transaction that inserted a message or a text and then
-- updated its conversation: two writes of one conversation could each wait for the other until
-- the server's deadlock check (1 s) refused one of them (40P01, run again). BEFORE INSERT, so the
-- lock comes ahead of every AFTER trigger of the row.

CREATE FUNCTION funnel_lock_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM conversations WHERE id = NEW.conversation_id FOR NO KEY UPDATE;
    RETURN NEW;
END;
$$;
CREATE TRIGGER funnel_lock_conversation BEFORE INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION funnel_lock_conversation();
CREATE TRIGGER funnel_lock_conversation BEFORE INSERT ON outbound
    FOR EACH ROW EXECUTE FUNCTION funnel_lock_conversation();
CREATE TRIGGER funnel_lock_conversation BEFORE INSERT ON funnel_stale
    FOR EACH ROW EXECUTE FUNCTION funnel_lock_conversation();
