-- 0013 (PostgreSQL): opt-ins recorded with their source and evidence, as
-- migrations/0013_consent_evidence.sql.

ALTER TABLE consents ADD COLUMN source TEXT;       -- web_form, paper, ivr, import, api
ALTER TABLE consents ADD COLUMN captured_at BIGINT;
ALTER TABLE consents ADD COLUMN evidence TEXT;     -- JSON: ip, user_agent, page_url, reference
ALTER TABLE consents ADD COLUMN client_key TEXT;   -- client_id / Idempotency-Key of an API record
CREATE INDEX consents_phone_program ON consents (phone_e164, program, seq);
CREATE UNIQUE INDEX consents_client_key ON consents (client_key) WHERE client_key IS NOT NULL;
