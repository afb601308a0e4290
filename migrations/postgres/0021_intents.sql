-- 0021 (PostgreSQL): intents are stored, as migrations/0021_intents.sql.

ALTER TABLE messages ADD COLUMN intent_name TEXT;
ALTER TABLE messages ADD COLUMN intent_source TEXT;
ALTER TABLE messages ADD COLUMN intent_confidence DOUBLE PRECISION;

ALTER TABLE conversations ADD COLUMN last_intent_name TEXT;
ALTER TABLE conversations ADD COLUMN last_intent_source TEXT;
ALTER TABLE conversations ADD COLUMN last_intent_confidence DOUBLE PRECISION;

CREATE INDEX conversations_last_intent ON conversations (last_intent_name, seq);
