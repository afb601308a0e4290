-- 0026 (PostgreSQL): the funnel report's indexes at scale, as migrations/0026_funnel_scale.sql.

CREATE INDEX handoff_offers_created ON handoff_offers (created_at, conversation_id);
CREATE INDEX outcomes_created ON outcomes (created_at, conversation_id, value_cents);
CREATE INDEX consents_event_created ON consents (event, created_at);
CREATE INDEX messages_funnel ON messages (conversation_id, seq, author, created_at, channel, direction, status);
