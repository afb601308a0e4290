-- 0012: message templates (issue 18). A template is one name in one locale of one program; every
-- version is kept (what was sent can be shown as it was). A version is a draft until an admin key
-- approves it; the last approved version serves until a newer one is approved. Archiving hides a
-- template from sending and frees its name, and keeps its history.

CREATE TABLE templates (
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    program          TEXT    NOT NULL,
    locale           TEXT    NOT NULL,
    current_version  INTEGER NOT NULL CHECK (current_version >= 1), -- the newest version
    approved_version INTEGER,                                      -- the version that serves, if any
    client_key       TEXT    UNIQUE,                               -- client_id / Idempotency-Key of its creation
    archived_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX templates_name_locale ON templates (name, locale) WHERE archived_at IS NULL;
CREATE INDEX templates_program ON templates (program, id);

CREATE TABLE template_versions (
    template_id    TEXT    NOT NULL REFERENCES templates (id),
    version        INTEGER NOT NULL,
    content        TEXT    NOT NULL, -- JSON: body, variables, replies, variants
    fallback_queue TEXT,
    created_at     INTEGER NOT NULL,
    approved_by    TEXT,             -- who approved it (admin key id), when it was
    approved_at    INTEGER,
    PRIMARY KEY (template_id, version)
);
