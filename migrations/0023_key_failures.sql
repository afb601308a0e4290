-- 0023: wrong keys counted in the database (issue 17), so that the lockout after too many wrong
-- API or admin keys from one client address holds across every node sharing the database. One
-- row per key scope and address: the start of its one-minute window and the wrong keys in it.
-- Rows older than the retention period are purged with the rest.

CREATE TABLE key_failures (
    scope        TEXT    NOT NULL,  -- which keys were tried: 'api', 'admin' or 'metrics'
    address      TEXT    NOT NULL,  -- the client address
    window_start INTEGER NOT NULL,  -- Unix milliseconds
    failures     INTEGER NOT NULL,
    PRIMARY KEY (scope, address)
);
CREATE INDEX key_failures_window ON key_failures (window_start);
