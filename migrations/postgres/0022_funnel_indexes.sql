-- 0022 (PostgreSQL): the funnel report's indexes, as migrations/0022_funnel_indexes.sql.

CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX outbound_conversation ON outbound (conversation_id, created_at);
CREATE INDEX consents_session ON consents (session_id, created_at) WHERE session_id IS NOT NULL;
CREATE INDEX consents_contact ON consents (contact_id, created_at) WHERE contact_id IS NOT NULL;
