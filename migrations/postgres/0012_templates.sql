-- 0012 (PostgreSQL): message templates, as migrations/0012_templates.sql.

CREATE TABLE templates (
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    program          TEXT    NOT NULL,
    locale           TEXT    NOT NULL,
    current_version  BIGINT  NOT NULL CHECK (current_version >= 1), -- the newest version
    approved_version BIGINT,                                      -- the version that serves, if any
    client_key       TEXT    UNIQUE,                              -- client_id / Idempotency-Key of its creation
    archived_at      BIGINT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX templates_name_locale ON templates (name, locale) WHERE archived_at IS NULL;
CREATE INDEX templates_program ON templates (program, id);

CREATE TABLE template_versions (
    template_id    TEXT    NOT NULL REFERENCES templates (id),
    version        BIGINT  NOT NULL,
    content        TEXT    NOT NULL, -- JSON: body, variables, replies, variants
    fallback_queue TEXT,
    created_at     BIGINT  NOT NULL,
    approved_by    TEXT,             -- who approved it (admin key id), when it was
    approved_at    BIGINT,
    PRIMARY KEY (template_id, version)
);
