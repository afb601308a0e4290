-- 0001 (PostgreSQL): the installation's identity. Each file here means the same as the SQLite
-- migration of the same number in migrations/ (a new migration gets one file in each folder,
-- with one number): the repositories run the same SQL on both. Times are Unix milliseconds in
-- BIGINT, as SQLite stores them; ids are TEXT; hashes are BYTEA where SQLite has BLOB.
-- Applied by `handoff migrate` inside one transaction and recorded in schema_migrations with its
-- SHA-256. Never edit an applied migration.

CREATE TABLE installation (
    id          BIGINT  PRIMARY KEY CHECK (id = 1),
    -- Random, generated once; identifies this database in logs and backups.
    instance_id TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL -- Unix milliseconds
);

INSERT INTO installation (id, instance_id, created_at)
VALUES (1, replace(gen_random_uuid()::text, '-', ''), (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
