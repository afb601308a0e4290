-- 0023 (PostgreSQL): wrong keys counted in the database, as migrations/0023_key_failures.sql.

CREATE TABLE key_failures (
    scope        TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    failures     BIGINT  NOT NULL,
    PRIMARY KEY (scope, address)
);
CREATE INDEX key_failures_window ON key_failures (window_start);
