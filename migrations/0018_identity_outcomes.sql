-- 0018: outcomes you can prove (issue 20). A contact may carry the business's own id for the
-- person (`external_id`, bound only by a verified identity hash, never changed once set) and the
-- name the widget gave; a conversation keeps where it came from (the campaign, the page and the
-- UTM fields of its URL); outcomes record what a conversation led to (a booking, a sale and its
-- value), once per client key.

ALTER TABLE contacts ADD COLUMN external_id TEXT;
ALTER TABLE contacts ADD COLUMN display_name TEXT;
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE external_id IS NOT NULL;

ALTER TABLE conversations ADD COLUMN campaign TEXT;
ALTER TABLE conversations ADD COLUMN page_url TEXT;
ALTER TABLE conversations ADD COLUMN utm_source TEXT;
ALTER TABLE conversations ADD COLUMN utm_medium TEXT;
ALTER TABLE conversations ADD COLUMN utm_campaign TEXT;

CREATE TABLE outcomes (
    id              TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    type            TEXT    NOT NULL,
    value_cents     INTEGER,
    currency        TEXT,
    external_ref    TEXT,
    client_key      TEXT,   -- the client_id or Idempotency-Key, unique within the conversation
    created_at      INTEGER NOT NULL
);
CREATE INDEX outcomes_conversation ON outcomes (conversation_id, created_at);
CREATE UNIQUE INDEX outcomes_client_key ON outcomes (conversation_id, client_key) WHERE client_key IS NOT NULL;
