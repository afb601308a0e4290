-- 0021: intents are stored (issue 19). Every customer message keeps the intent it was classified
-- with (its name, what found it: keyword, rules, classifier or template_answer, and the
-- classifier's confidence); a conversation keeps the last one its customer's messages had, and
-- lists filter by its name through their own index.

ALTER TABLE messages ADD COLUMN intent_name TEXT;
ALTER TABLE messages ADD COLUMN intent_source TEXT;
ALTER TABLE messages ADD COLUMN intent_confidence REAL;

ALTER TABLE conversations ADD COLUMN last_intent_name TEXT;
ALTER TABLE conversations ADD COLUMN last_intent_source TEXT;
ALTER TABLE conversations ADD COLUMN last_intent_confidence REAL;

CREATE INDEX conversations_last_intent ON conversations (last_intent_name, seq);
