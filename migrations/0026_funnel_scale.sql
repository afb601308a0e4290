-- 0026: the funnel report (issue 20) at scale. It reads the sparse facts of a range's
-- conversations (offers, opt-ins and opt-outs, outcomes) through their own time index from the
-- range's start, and each conversation's messages through one index that holds every column it
-- needs (texts: channel, direction, status; answers: author, time), never the table.

CREATE INDEX handoff_offers_created ON handoff_offers (created_at, conversation_id);
CREATE INDEX outcomes_created ON outcomes (created_at, conversation_id, value_cents);
CREATE INDEX consents_event_created ON consents (event, created_at);
CREATE INDEX messages_funnel ON messages (conversation_id, seq, author, created_at, channel, direction, status);
