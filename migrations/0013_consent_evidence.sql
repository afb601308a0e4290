-- 0013: opt-ins obtained elsewhere (a booking form, a signed paper form, an IVR call, an import)
-- are recorded through the API with where they came from, when they were given and the evidence
-- kept (issue 18). The ledger stays append-only; a program's consent is its newest entry for
-- the number (and none at all while the number is suppressed by STOP).

ALTER TABLE consents ADD COLUMN source TEXT;       -- web_form, paper, ivr, import, api
ALTER TABLE consents ADD COLUMN captured_at INTEGER;
ALTER TABLE consents ADD COLUMN evidence TEXT;     -- JSON: ip, user_agent, page_url, reference
ALTER TABLE consents ADD COLUMN client_key TEXT;   -- client_id / Idempotency-Key of an API record
CREATE INDEX consents_phone_program ON consents (phone_e164, program, seq);
CREATE UNIQUE INDEX consents_client_key ON consents (client_key) WHERE client_key IS NOT NULL;
