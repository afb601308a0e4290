-- 0022: the funnel report (issue 20) reads the conversations created in a range and, for each,
-- its first proactive text, the confirmed opt-ins of its contact's sessions and its contact's
-- opt-outs: indexes for each of those lookups.

CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX outbound_conversation ON outbound (conversation_id, created_at);
CREATE INDEX consents_session ON consents (session_id, created_at) WHERE session_id IS NOT NULL;
CREATE INDEX consents_contact ON consents (contact_id, created_at) WHERE contact_id IS NOT NULL;
