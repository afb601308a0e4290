-- 0001: the installation's identity. Later migrations add the chat, SMS and consent tables.
-- Applied by `handoff migrate` (and at `handoff serve` start) inside one transaction; the
-- migrator records it in schema_migrations with its SHA-256. Never edit an applied migration.

CREATE TABLE installation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    -- Random, generated once; identifies this database in logs and backups.
    instance_id TEXT    NOT NULL,
    created_at  INTEGER NOT NULL -- Unix milliseconds
);

INSERT INTO installation (id, instance_id, created_at)
VALUES (1, lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
