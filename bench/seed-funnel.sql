-- Seeds a migrated SQLite database with :n conversations spread evenly over the 30 days from
-- :start (Unix ms), each with the facts the funnel report counts (API.md "Identity, attribution,
-- outcomes, reports"); PostgreSQL gets the same data with `handoff migrate-to-postgres --from DB`.
-- Used by bench/funnel.sh:
--   sqlite3 -cmd ".parameter set :n 100000" -cmd ".parameter set :start 1793491200000" DB < bench/seed-funnel.sql
-- Conversation i (its contact and session numbered alike), started at :start + i * 30 days / :n, its
-- features drawn by h, a multiplicative hash of i:
-- - kind i % 10: 0-4 a web chat (a question, a bot answer, half of them a second question that an
--   agent answers 40-160 s later); 5-6 handed off (an offer, a code texted by the system, verified
--   30 s or, one in four, 120 s later, a bot answer by text, the customer's reply, an agent's
--   answer); 7-9 a proactive text (5 templates of 3 programs, variants a/b, 3 campaigns; sent,
--   delivered or undelivered; half replied to, a bot answer to most replies);
-- - queue (support, sales, billing or none) and campaign (spring, winter, none) on the conversation;
-- - one in 17 escalated (with a first human response), one in 3 closed (2/3 of those resolved),
--   one in 23 converted (one in 230 twice, values in cents), one in 41 of the texted ones opted out;
-- - an outbox row (done) per text of ours and a message event per message.
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE seed (i INTEGER PRIMARY KEY, h INTEGER NOT NULL, t0 INTEGER NOT NULL, kind INTEGER NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :n - 1)
INSERT INTO seed SELECT i, (i * 48271 + 11) % 2147483647, :start + i * (2592000000 / :n), i % 10 FROM n;

INSERT INTO templates (id, name, program, locale, current_version, approved_version, created_at, updated_at)
SELECT 'tpl_' || t, 'template_' || t, CASE t % 3 WHEN 0 THEN 'reminders' WHEN 1 THEN 'offers' ELSE 'billing' END,
    'en', 1, 1, :start - 86400000, :start - 86400000
FROM (SELECT 0 AS t UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4);
INSERT INTO template_versions (template_id, version, content, created_at, approved_by, approved_at)
SELECT id, 1, '{"body":"{{brand}}: hello","variables":[],"replies":[],"variants":[{"id":"a","body":"{{brand}}: hello!","weight":1},{"id":"b","body":"{{brand}}: hi!","weight":1}]}',
    created_at, 'adm_seed', created_at
FROM templates;

-- Texted contacts have a phone; web-only ones do not.
INSERT INTO contacts (id, phone_e164, created_at)
SELECT printf('ct_%08d', i), CASE WHEN kind >= 5 THEN printf('+1628%07d', i) END, t0 FROM seed;
INSERT INTO sessions (id, token_hash, contact_id, created_at, last_seen_at, expires_at)
SELECT printf('ses_%08d', i), randomblob(16), printf('ct_%08d', i), t0, t0, t0 + 2592000000 FROM seed WHERE kind < 7;
INSERT INTO conversations (id, contact_id, state, queue, escalation_reason, active_channel, created_at, updated_at,
    closed_at, first_human_response_at, resolution, campaign)
SELECT printf('conv_%08d', i), printf('ct_%08d', i),
    CASE WHEN h % 3 = 0 THEN 'closed' WHEN h % 17 = 0 THEN 'escalated' ELSE 'open' END,
    CASE h % 4 WHEN 0 THEN 'support' WHEN 1 THEN 'sales' WHEN 2 THEN 'billing' END,
    CASE WHEN h % 17 = 0 THEN 'customer_asked' END,
    CASE WHEN kind >= 5 THEN 'sms' ELSE 'web' END, t0, t0 + 3600000,
    CASE WHEN h % 3 = 0 THEN t0 + 3600000 END,
    CASE WHEN h % 17 = 0 THEN t0 + 95000 END,
    CASE WHEN h % 3 = 0 THEN CASE WHEN h % 9 = 0 THEN 'unresolved' ELSE 'resolved' END END,
    CASE WHEN kind < 7 THEN CASE h % 5 WHEN 0 THEN 'spring' WHEN 1 THEN 'winter' END END
FROM seed;

-- Handoffs: offered 20 s in, the code texted and the opt-in confirmed 30 s (one in four: 120 s) later.
INSERT INTO handoff_offers (id, conversation_id, session_id, reason, state, created_at, answered_at)
SELECT printf('ho_%08d', i), printf('conv_%08d', i), printf('ses_%08d', i),
    CASE h % 2 WHEN 0 THEN 'slow_answer' ELSE 'agent' END, 'accepted', t0 + 20000, t0 + 50000
FROM seed WHERE kind IN (5, 6);
INSERT INTO verifications (id, session_id, phone_e164, program, code_hash, attempts, state, expires_at, created_at,
    ip_address, region, area_code)
SELECT printf('ver_%08d', i), printf('ses_%08d', i), printf('+1628%07d', i), 'chat', randomblob(32), 1, 'verified',
    t0 + 620000, t0 + 21000, '10.' || (i / 65536 % 256) || '.' || (i / 256 % 256) || '.' || (h % 256), 'US', '+1628'
FROM seed WHERE kind IN (5, 6);
INSERT INTO consents (phone_e164, contact_id, program, event, method, session_id, created_at)
SELECT printf('+1628%07d', i), printf('ct_%08d', i), 'chat', 'opt_in_confirmed', 'web_code', printf('ses_%08d', i),
    t0 + CASE WHEN h % 4 = 1 THEN 140000 ELSE 50000 END
FROM seed WHERE kind IN (5, 6);

-- Proactive texts: the outbound row behind each one's first text.
INSERT INTO outbound (id, to_e164, contact_id, conversation_id, program, template_id, template_version, variant,
    campaign, body, state, message_id, send_at, created_at, updated_at)
SELECT printf('ob_%08d', i), printf('+1628%07d', i), printf('ct_%08d', i), printf('conv_%08d', i),
    CASE h % 5 % 3 WHEN 0 THEN 'reminders' WHEN 1 THEN 'offers' ELSE 'billing' END, 'tpl_' || (h % 5), 1,
    CASE WHEN h % 7 < 4 THEN 'a' ELSE 'b' END, CASE h % 3 WHEN 0 THEN 'spring' WHEN 1 THEN 'winter' END,
    'Acme: hello', 'released', printf('msg_%08d_0', i), t0, t0, t0
FROM seed WHERE kind >= 7;
UPDATE conversations SET campaign = (SELECT campaign FROM outbound WHERE outbound.conversation_id = conversations.id)
WHERE id IN (SELECT conversation_id FROM outbound);

-- Messages, turn by turn: (conversation, turn, direction, channel, author, delay from t0, status).
CREATE TEMP TABLE turns AS
SELECT i, 0 AS turn, 'inbound' AS direction, 'web' AS channel, 'visitor' AS author, 5000 AS delay, 'received' AS status
FROM seed WHERE kind < 5
UNION ALL SELECT i, 1, 'outbound', 'web', 'bot', 5000 + 1000 + h % 9000, 'sent' FROM seed WHERE kind < 5
UNION ALL SELECT i, 2, 'inbound', 'web', 'visitor', 30000, 'received' FROM seed WHERE kind < 5 AND h % 2 = 0
UNION ALL SELECT i, 3, 'outbound', 'web', 'agent', 30000 + 40000 + h % 120000, 'sent' FROM seed
    WHERE kind < 5 AND h % 2 = 0 AND h % 6 <> 0
UNION ALL SELECT i, 0, 'inbound', 'web', 'visitor', 10000, 'received' FROM seed WHERE kind IN (5, 6)
UNION ALL SELECT i, 1, 'outbound', 'sms', 'system', 21000, CASE WHEN h % 13 = 0 THEN 'sent' ELSE 'delivered' END
    FROM seed WHERE kind IN (5, 6)
UNION ALL SELECT i, 2, 'outbound', 'sms', 'bot', 60000 + h % 30000, 'delivered' FROM seed WHERE kind IN (5, 6)
UNION ALL SELECT i, 3, 'inbound', 'sms', 'visitor', 200000, 'received' FROM seed WHERE kind IN (5, 6) AND h % 3 <> 2
UNION ALL SELECT i, 4, 'outbound', 'sms', 'agent', 200000 + 20000 + h % 90000, 'delivered' FROM seed
    WHERE kind IN (5, 6) AND h % 3 = 0
UNION ALL SELECT i, 0, 'outbound', 'sms', 'bot', 0,
    CASE WHEN h % 11 = 0 THEN 'undelivered' WHEN h % 7 = 0 THEN 'sent' ELSE 'delivered' END FROM seed WHERE kind >= 7
UNION ALL SELECT i, 1, 'inbound', 'sms', 'visitor', 600000, 'received' FROM seed WHERE kind >= 7 AND h % 2 = 1
UNION ALL SELECT i, 2, 'outbound', 'sms', 'bot', 600000 + 2000 + h % 80000, 'delivered' FROM seed
    WHERE kind >= 7 AND h % 2 = 1 AND h % 5 <> 0
UNION ALL SELECT i, 3, 'outbound', 'sms', 'system', 600000 + 1000, 'delivered' FROM seed
    WHERE kind >= 7 AND h % 2 = 1 AND h % 5 = 0;
INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, provider_message_id, to_e164,
    created_at, updated_at)
SELECT printf('msg_%08d_%d', w.i, w.turn), printf('conv_%08d', w.i), w.direction, w.channel, w.author,
    CASE w.author WHEN 'visitor' THEN 'Is it open on Sunday?' WHEN 'system' THEN 'Your code is 123456'
        ELSE 'Yes, from 10 to 4.' END,
    w.status, CASE WHEN w.channel = 'sms' THEN printf('SM%08d%02d', w.i, w.turn) END,
    CASE WHEN w.channel = 'sms' AND w.direction = 'outbound' THEN printf('+1628%07d', w.i) END,
    s.t0 + w.delay, s.t0 + w.delay + CASE WHEN w.status = 'delivered' THEN 4000 ELSE 0 END
FROM turns w JOIN seed s ON s.i = w.i
ORDER BY s.t0 + w.delay, w.i, w.turn;
INSERT INTO outbox (kind, payload, message_id, lane, state, attempts, next_attempt_at, created_at, updated_at, priority)
SELECT 'sms', '{}', id, to_e164, 'done', 1, created_at, created_at, created_at + 1000,
    CASE author WHEN 'system' THEN 1 ELSE 0 END
FROM messages WHERE channel = 'sms' AND direction = 'outbound' ORDER BY seq;
INSERT INTO conversation_events (conversation_id, type, payload, created_at)
SELECT conversation_id, 'message', '{"id":"' || id || '"}', created_at FROM messages ORDER BY seq;

INSERT INTO outcomes (id, conversation_id, type, value_cents, currency, created_at)
SELECT printf('out_%08d_%d', i, k), printf('conv_%08d', i), CASE k WHEN 0 THEN 'booking' ELSE 'payment' END,
    CASE WHEN k = 1 OR h % 2 = 0 THEN 1000 + h % 50 * 100 END, 'USD', t0 + 86400000 + k
FROM seed, (SELECT 0 AS k UNION ALL SELECT 1)
WHERE h % 23 = 0 AND (k = 0 OR h % 230 = 0);
INSERT INTO consents (phone_e164, contact_id, program, event, method, created_at)
SELECT printf('+1628%07d', i), printf('ct_%08d', i), 'chat', 'opt_out', 'sms_keyword', t0 + 900000
FROM seed WHERE kind >= 5 AND h % 41 = 0;
INSERT INTO suppressions (phone_e164, reason, created_at)
SELECT printf('+1628%07d', i), 'stop_keyword', t0 + 900000 FROM seed WHERE kind >= 5 AND h % 41 = 0;
COMMIT;
ANALYZE;
