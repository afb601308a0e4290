-- Seeds a migrated database with :n contacts, each with a verified phone (+1628 and the index),
-- one open conversation (back on the web), four messages by text (customer, bot, customer, bot:
-- answered), their four events and the two inbound webhooks behind the customer's texts. Used by bench/scaling.sh:
--   sqlite3 -cmd ".parameter set :n 100000" DB < bench/seed-conversations.sql
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :n - 1) INSERT INTO seq SELECT i FROM n;
INSERT INTO contacts (id, phone_e164, created_at) SELECT printf('ct_%032x', i), printf('+1628%07d', i), i FROM seq;
INSERT INTO conversations (id, contact_id, state, queue, active_channel, created_at, updated_at)
SELECT printf('conv_%032x', i), printf('ct_%032x', i), 'open', 'bot', 'web', i, i FROM seq;
INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, provider_message_id,
    created_at, updated_at)
SELECT printf('msg_%030x%02d', i, t), printf('conv_%032x', i), CASE t % 2 WHEN 0 THEN 'inbound' ELSE 'outbound' END,
    'sms', CASE t % 2 WHEN 0 THEN 'visitor' ELSE 'bot' END,
    CASE t % 2 WHEN 0 THEN 'Where is my order? It was due on Friday.' ELSE 'It left the warehouse today.' END,
    CASE t % 2 WHEN 0 THEN 'received' ELSE 'delivered' END,
    CASE t % 2 WHEN 1 THEN printf('SM%030x%02d', i, t) END, i * 10 + t, i * 10 + t
FROM seq, (SELECT 0 AS t UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)
ORDER BY i, t;
INSERT INTO conversation_events (conversation_id, type, payload, created_at)
SELECT conversation_id, 'message', '{"id":"' || id || '","body":"' || body || '"}', created_at FROM messages
ORDER BY seq;
INSERT INTO inbound_events (provider_event_id, gateway, kind, raw, message_id, received_at)
SELECT 'SM' || substr(id, 5), 'twilio', 'message', 'MessageSid=SM' || substr(id, 5) || '&Body=Where+is+my+order',
    id, created_at
FROM messages WHERE author = 'visitor';
COMMIT;
ANALYZE;
