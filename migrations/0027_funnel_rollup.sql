-- 0027: the funnel report (issue 20) at scale. Its dense facts are kept per conversation by
-- triggers, in the transaction of the write that establishes them (whichever code path writes
-- it), so a report is one indexed scan of narrow rows instead of every message of the range:
-- - funnel_conversations: a row per conversation with its keys (start time, campaign, queue and
--   its first proactive text's program, template and variant) and its counted facts (escalated,
--   resolved, texts of ours sent and delivered, the history positions of its first text of ours
--   and its customer's last text);
-- - funnel_responses: a row per customer message with the first bot or agent answer after it and
--   the first message of anyone but the customer after it (history order), for the first-response
--   percentiles and answered_within_60s.
-- Offers, verifications, opt-ins, outcomes and opt-outs stay where they are (sparse, each read
-- through its own time index). Increments are `x = x + d` on the row, so concurrent writers on
-- PostgreSQL lose nothing; a message moved to another conversation (a merge), otherwise rewritten or
-- erased has its conversations' message facts recomputed (funnel_stale).

CREATE TABLE funnel_conversations (
    conversation_id TEXT    PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    campaign        TEXT,
    queue           TEXT,
    escalated       INTEGER NOT NULL, -- state escalated or an escalation reason, as now stored
    resolved        INTEGER NOT NULL, -- resolution 'resolved'
    first_text_at   INTEGER,          -- the first proactive text (earliest outbound by created_at, id)
    first_text_id   TEXT,
    program         TEXT,
    template_id     TEXT,
    variant         TEXT,
    first_ours_seq  INTEGER,          -- the first SMS of ours in history order
    last_reply_seq  INTEGER           -- the customer's last SMS in history order
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
    seq             INTEGER NOT NULL, -- the customer message's
    created_at      INTEGER NOT NULL,
    answer_seq      INTEGER,          -- the first bot or agent message after it
    answered_at     INTEGER,
    reply_seq       INTEGER,          -- the first bot, agent or system message after it
    replied_at      INTEGER,
    PRIMARY KEY (conversation_id, seq)
);

-- Conversations whose message facts are recomputed from their messages: a row inserted here is
-- processed and removed by its trigger at once.
CREATE TABLE funnel_stale (conversation_id TEXT NOT NULL);

CREATE TRIGGER funnel_refresh AFTER INSERT ON funnel_stale
BEGIN
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
END;

CREATE TRIGGER funnel_conversation_started AFTER INSERT ON conversations
BEGIN
    INSERT INTO funnel_conversations (conversation_id, created_at, campaign, queue, escalated, resolved)
    VALUES (NEW.id, NEW.created_at, NEW.campaign, NEW.queue,
        CASE WHEN NEW.state = 'escalated' OR NEW.escalation_reason IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.resolution = 'resolved' THEN 1 ELSE 0 END);
END;

CREATE TRIGGER funnel_conversation_changed AFTER UPDATE ON conversations
WHEN NEW.state IS NOT OLD.state OR NEW.escalation_reason IS NOT OLD.escalation_reason
    OR NEW.resolution IS NOT OLD.resolution OR NEW.queue IS NOT OLD.queue OR NEW.campaign IS NOT OLD.campaign
    OR NEW.created_at IS NOT OLD.created_at
BEGIN
    UPDATE funnel_conversations SET created_at = NEW.created_at, campaign = NEW.campaign, queue = NEW.queue,
        escalated = CASE WHEN NEW.state = 'escalated' OR NEW.escalation_reason IS NOT NULL THEN 1 ELSE 0 END,
        resolved = CASE WHEN NEW.resolution = 'resolved' THEN 1 ELSE 0 END
    WHERE conversation_id = NEW.id;
END;

CREATE TRIGGER funnel_conversation_erased AFTER DELETE ON conversations
BEGIN
    DELETE FROM funnel_responses WHERE conversation_id = OLD.id;
    DELETE FROM funnel_texts WHERE conversation_id = OLD.id;
    DELETE FROM funnel_conversations WHERE conversation_id = OLD.id;
END;

CREATE TRIGGER funnel_first_text AFTER INSERT ON outbound
BEGIN
    UPDATE funnel_conversations SET first_text_at = NEW.created_at, first_text_id = NEW.id, program = NEW.program,
        template_id = NEW.template_id, variant = NEW.variant
    WHERE conversation_id = NEW.conversation_id AND (first_text_at IS NULL OR NEW.created_at < first_text_at
        OR (NEW.created_at = first_text_at AND NEW.id < first_text_id));
END;

CREATE TRIGGER funnel_message_added AFTER INSERT ON messages
BEGIN
    UPDATE funnel_conversations SET
        first_ours_seq = CASE WHEN NEW.channel = 'sms' AND NEW.direction = 'outbound'
            AND (first_ours_seq IS NULL OR NEW.seq < first_ours_seq) THEN NEW.seq ELSE first_ours_seq END,
        last_reply_seq = CASE WHEN NEW.channel = 'sms' AND NEW.direction = 'inbound'
            AND (last_reply_seq IS NULL OR NEW.seq > last_reply_seq) THEN NEW.seq ELSE last_reply_seq END
    WHERE conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER funnel_text_added AFTER INSERT ON messages WHEN NEW.channel = 'sms' AND NEW.direction = 'outbound'
BEGIN
    INSERT INTO funnel_texts (message_id, conversation_id, sent, delivered)
    VALUES (NEW.id, NEW.conversation_id, CASE WHEN NEW.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END,
        CASE WHEN NEW.status = 'delivered' THEN 1 ELSE 0 END);
END;

-- A customer message: its answer and reply, when later messages are already stored.
CREATE TRIGGER funnel_customer_message AFTER INSERT ON messages WHEN NEW.author = 'visitor'
BEGIN
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
END;

-- Anyone else's message: the reply (and, from a bot or agent, the answer) of the customer's
-- earlier messages that have none after them yet.
CREATE TRIGGER funnel_customer_answered AFTER INSERT ON messages WHEN NEW.author <> 'visitor'
BEGIN
    UPDATE funnel_responses SET
        reply_seq = CASE WHEN reply_seq IS NULL OR reply_seq > NEW.seq THEN NEW.seq ELSE reply_seq END,
        replied_at = CASE WHEN reply_seq IS NULL OR reply_seq > NEW.seq THEN NEW.created_at ELSE replied_at END,
        answer_seq = CASE WHEN NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)
            THEN NEW.seq ELSE answer_seq END,
        answered_at = CASE WHEN NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)
            THEN NEW.created_at ELSE answered_at END
    WHERE conversation_id = NEW.conversation_id AND seq < NEW.seq AND (reply_seq IS NULL OR reply_seq > NEW.seq
        OR (NEW.author IN ('bot', 'agent') AND (answer_seq IS NULL OR answer_seq > NEW.seq)));
END;

-- A text's new status (any other change of a message is a `funnel_message_changed`).
CREATE TRIGGER funnel_text_status AFTER UPDATE OF status ON messages
WHEN NEW.status IS NOT OLD.status AND NEW.channel = 'sms' AND NEW.direction = 'outbound'
    AND NEW.conversation_id = OLD.conversation_id AND NEW.seq = OLD.seq AND NEW.created_at = OLD.created_at
    AND NEW.author = OLD.author AND NEW.channel = OLD.channel AND NEW.direction = OLD.direction
BEGIN
    UPDATE funnel_texts SET sent = CASE WHEN NEW.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END,
        delivered = CASE WHEN NEW.status = 'delivered' THEN 1 ELSE 0 END
    WHERE message_id = NEW.id;
END;

-- A message moved to another conversation (a merge) or changed in what the roll-up reads.
CREATE TRIGGER funnel_message_changed AFTER UPDATE ON messages
WHEN NEW.conversation_id IS NOT OLD.conversation_id OR NEW.seq IS NOT OLD.seq OR NEW.created_at IS NOT OLD.created_at
    OR NEW.author IS NOT OLD.author OR NEW.channel IS NOT OLD.channel OR NEW.direction IS NOT OLD.direction
BEGIN
    INSERT INTO funnel_stale (conversation_id) SELECT OLD.conversation_id UNION SELECT NEW.conversation_id;
END;

CREATE TRIGGER funnel_message_erased AFTER DELETE ON messages
BEGIN
    INSERT INTO funnel_stale (conversation_id) VALUES (OLD.conversation_id);
END;

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
