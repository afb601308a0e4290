-- 0027 (PostgreSQL): the funnel report's roll-up kept by triggers, as
-- migrations/0027_funnel_rollup.sql. Each trigger first updates (so locks) the conversation's
-- roll-up row; its later statements then see, with a fresh snapshot, every message another
-- transaction committed for that conversation meanwhile, so concurrent nodes lose nothing.

CREATE TABLE funnel_conversations (
    conversation_id TEXT    PRIMARY KEY,
    created_at      BIGINT  NOT NULL,
    campaign        TEXT,
    queue           TEXT,
    escalated       INTEGER NOT NULL,
    resolved        INTEGER NOT NULL,
    first_text_at   BIGINT,
    first_text_id   TEXT,
    program         TEXT,
    template_id     TEXT,
    variant         TEXT,
    first_ours_seq  BIGINT,
    last_reply_seq  BIGINT
);
CREATE INDEX funnel_conversations_created ON funnel_conversations (created_at);

-- A row per SMS of ours: whether it is now sent (sent, delivered or undelivered) and delivered.
-- Its own row, so a delivery report updates only what the message's own lock already guards (a
-- shared per-conversation row there deadlocked with writers holding it on PostgreSQL).
CREATE TABLE funnel_texts (
    message_id      TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL,
    sent            INTEGER NOT NULL,
    delivered       INTEGER NOT NULL
);
CREATE INDEX funnel_texts_conversation ON funnel_texts (conversation_id, sent, delivered);

CREATE TABLE funnel_responses (
    conversation_id TEXT    NOT NULL,
    seq             BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    answer_seq      BIGINT,
    answered_at     BIGINT,
    reply_seq       BIGINT,
    replied_at      BIGINT,
    PRIMARY KEY (conversation_id, seq)
);

-- Conversations whose message facts are recomputed (see the SQLite migration); indexed, since a
-- statement's row triggers run after all its rows are in.
CREATE TABLE funnel_stale (conversation_id TEXT NOT NULL);
CREATE INDEX funnel_stale_conversation ON funnel_stale (conversation_id);

CREATE FUNCTION funnel_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM funnel_conversations WHERE conversation_id = NEW.conversation_id FOR UPDATE;
    UPDATE funnel_conversations SET
        first_ours_seq = (
            SELECT min(m.seq) FROM messages m
            WHERE m.conversation_id = NEW.conversation_id AND m.channel = 'sms' AND m.direction = 'outbound'),
        last_reply_seq = (
            SELECT max(m.seq) FROM messages m
            WHERE m.conversation_id = NEW.conversation_id AND m.channel = 'sms' AND m.direction = 'inbound')
    WHERE conversation_id = NEW.conversation_id;
    DELETE FROM funnel_texts WHERE conversation_id = NEW.conversation_id;
    INSERT INTO funnel_texts (message_id, conversation_id, sent, delivered)
    SELECT m.id, m.conversation_id, CASE WHEN m.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END,
        CASE WHEN m.status = 'delivered' THEN 1 ELSE 0 END
    FROM messages m WHERE m.conversation_id = NEW.conversation_id AND m.channel = 'sms' AND m.direction = 'outbound'
    ON CONFLICT (message_id) DO UPDATE SET conversation_id = excluded.conversation_id, sent = excluded.sent,
        delivered = excluded.delivered;
    DELETE FROM funnel_responses WHERE conversation_id = NEW.conversation_id;
    INSERT INTO funnel_responses (conversation_id, seq, created_at, answer_seq, answered_at, reply_seq, replied_at)
    SELECT m.conversation_id, m.seq, m.created_at, a.seq, a.created_at, r.seq, r.created_at
    FROM messages m
    LEFT JOIN messages a ON a.seq = (
        SELECT min(x.seq) FROM messages x
        WHERE x.conversation_id = m.conversation_id AND x.seq > m.seq AND x.author IN ('bot', 'agent'))
    LEFT JOIN messages r ON r.seq = (
        SELECT min(x.seq) FROM messages x
        WHERE x.conversation_id = m.conversation_id AND x.seq > m.seq AND x.author <> 'visitor')
    WHERE m.conversation_id = NEW.conversation_id AND m.author = 'visitor'
        AND EXISTS (SELECT 1 FROM funnel_conversations f WHERE f.conversation_id = NEW.conversation_id);
    DELETE FROM funnel_stale WHERE conversation_id = NEW.conversation_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_refresh AFTER INSERT ON funnel_stale FOR EACH ROW EXECUTE FUNCTION funnel_refresh();

CREATE FUNCTION funnel_conversation_started() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO funnel_conversations (conversation_id, created_at, campaign, queue, escalated, resolved)
    VALUES (NEW.id, NEW.created_at, NEW.campaign, NEW.queue,
        CASE WHEN NEW.state = 'escalated' OR NEW.escalation_reason IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.resolution = 'resolved' THEN 1 ELSE 0 END);
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_conversation_started AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION funnel_conversation_started();

CREATE FUNCTION funnel_conversation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE funnel_conversations SET created_at = NEW.created_at, campaign = NEW.campaign, queue = NEW.queue,
        escalated = CASE WHEN NEW.state = 'escalated' OR NEW.escalation_reason IS NOT NULL THEN 1 ELSE 0 END,
        resolved = CASE WHEN NEW.resolution = 'resolved' THEN 1 ELSE 0 END
    WHERE conversation_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_conversation_changed AFTER UPDATE ON conversations
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state OR NEW.escalation_reason IS DISTINCT FROM OLD.escalation_reason
        OR NEW.resolution IS DISTINCT FROM OLD.resolution OR NEW.queue IS DISTINCT FROM OLD.queue
        OR NEW.campaign IS DISTINCT FROM OLD.campaign OR NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION funnel_conversation_changed();

CREATE FUNCTION funnel_conversation_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM funnel_responses WHERE conversation_id = OLD.id;
    DELETE FROM funnel_texts WHERE conversation_id = OLD.id;
    DELETE FROM funnel_conversations WHERE conversation_id = OLD.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_conversation_erased AFTER DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION funnel_conversation_erased();

CREATE FUNCTION funnel_first_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE funnel_conversations SET first_text_at = NEW.created_at, first_text_id = NEW.id, program = NEW.program,
        template_id = NEW.template_id, variant = NEW.variant
    WHERE conversation_id = NEW.conversation_id AND (first_text_at IS NULL OR NEW.created_at < first_text_at
        OR (NEW.created_at = first_text_at AND NEW.id < first_text_id));
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_first_text AFTER INSERT ON outbound FOR EACH ROW EXECUTE FUNCTION funnel_first_text();

-- A new message: the conversation's counts and positions; a customer message's answer and reply
-- when later messages are already stored; anyone else's message answers or replies to the
-- customer's earlier messages that have none after them yet.
CREATE FUNCTION funnel_message_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE funnel_conversations SET
        first_ours_seq = CASE WHEN NEW.channel = 'sms' AND NEW.direction = 'outbound'
            AND (first_ours_seq IS NULL OR NEW.seq < first_ours_seq) THEN NEW.seq ELSE first_ours_seq END,
        last_reply_seq = CASE WHEN NEW.channel = 'sms' AND NEW.direction = 'inbound'
            AND (last_reply_seq IS NULL OR NEW.seq > last_reply_seq) THEN NEW.seq ELSE last_reply_seq END
    WHERE conversation_id = NEW.conversation_id;
    IF NEW.channel = 'sms' AND NEW.direction = 'outbound' THEN
        INSERT INTO funnel_texts (message_id, conversation_id, sent, delivered)
        VALUES (NEW.id, NEW.conversation_id,
            CASE WHEN NEW.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'delivered' THEN 1 ELSE 0 END);
    END IF;
    IF NEW.author = 'visitor' THEN
        INSERT INTO funnel_responses (conversation_id, seq, created_at, answer_seq, answered_at, reply_seq, replied_at)
        SELECT NEW.conversation_id, NEW.seq, NEW.created_at, a.seq, a.created_at, r.seq, r.created_at
        FROM funnel_conversations f
        LEFT JOIN messages a ON a.seq = (
            SELECT min(x.seq) FROM messages x
            WHERE x.conversation_id = NEW.conversation_id AND x.seq > NEW.seq AND x.author IN ('bot', 'agent'))
        LEFT JOIN messages r ON r.seq = (
            SELECT min(x.seq) FROM messages x
            WHERE x.conversation_id = NEW.conversation_id AND x.seq > NEW.seq AND x.author <> 'visitor')
        WHERE f.conversation_id = NEW.conversation_id;
    ELSE
        UPDATE funnel_responses SET
            reply_seq = CASE WHEN reply_seq IS NULL OR reply_seq > NEW.seq THEN NEW.seq ELSE reply_seq END,
            replied_at = CASE WHEN reply_seq IS NULL OR reply_seq > NEW.seq THEN NEW.created_at ELSE replied_at END,
            answer_seq = CASE WHEN NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)
                THEN NEW.seq ELSE answer_seq END,
            answered_at = CASE WHEN NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)
                THEN NEW.created_at ELSE answered_at END
        WHERE conversation_id = NEW.conversation_id AND seq < NEW.seq AND (reply_seq IS NULL OR reply_seq > NEW.seq
            OR (NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_message_added AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION funnel_message_added();

CREATE FUNCTION funnel_text_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE funnel_texts SET sent = CASE WHEN NEW.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END,
        delivered = CASE WHEN NEW.status = 'delivered' THEN 1 ELSE 0 END
    WHERE message_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_text_status AFTER UPDATE OF status ON messages
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.channel = 'sms' AND NEW.direction = 'outbound'
        AND NEW.conversation_id = OLD.conversation_id AND NEW.seq = OLD.seq AND NEW.created_at = OLD.created_at
        AND NEW.author = OLD.author AND NEW.channel = OLD.channel AND NEW.direction = OLD.direction)
    EXECUTE FUNCTION funnel_text_status();

CREATE FUNCTION funnel_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO funnel_stale (conversation_id) VALUES (OLD.conversation_id);
    IF TG_OP = 'UPDATE' AND NEW.conversation_id <> OLD.conversation_id THEN
        INSERT INTO funnel_stale (conversation_id) VALUES (NEW.conversation_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funnel_message_changed AFTER UPDATE ON messages
    FOR EACH ROW WHEN (NEW.conversation_id IS DISTINCT FROM OLD.conversation_id OR NEW.seq IS DISTINCT FROM OLD.seq
        OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.author IS DISTINCT FROM OLD.author
        OR NEW.channel IS DISTINCT FROM OLD.channel OR NEW.direction IS DISTINCT FROM OLD.direction)
    EXECUTE FUNCTION funnel_message_changed();
CREATE TRIGGER funnel_message_erased AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION funnel_message_changed();

-- The rows of the conversations stored before this migration.
INSERT INTO funnel_conversations (conversation_id, created_at, campaign, queue, escalated, resolved)
SELECT id, created_at, campaign, queue,
    CASE WHEN state = 'escalated' OR escalation_reason IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN resolution = 'resolved' THEN 1 ELSE 0 END
FROM conversations;
UPDATE funnel_conversations SET (first_text_at, first_text_id, program, template_id, variant) = (
    SELECT f.created_at, f.id, f.program, f.template_id, f.variant FROM outbound f
    WHERE f.conversation_id = funnel_conversations.conversation_id ORDER BY f.created_at, f.id LIMIT 1)
WHERE EXISTS (SELECT 1 FROM outbound f WHERE f.conversation_id = funnel_conversations.conversation_id);
INSERT INTO funnel_stale (conversation_id) SELECT id FROM conversations;
