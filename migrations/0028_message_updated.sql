-- 0028: a message whose intent the external classifier changed is announced again as it now is:
-- the event log's type CHECK gains `message_updated`. SQLite cannot change a CHECK constraint in
-- place, so the log is rebuilt as 0024 did (legacy_alter_table keeps the views over the log as
-- they are).

PRAGMA legacy_alter_table = ON;
CREATE TABLE conversation_events_new (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    type            TEXT    NOT NULL
                            CHECK (type IN ('message', 'message_status', 'handoff', 'handoff_offer', 'reply.matched',
                                            'conversation', 'message_updated')),
    payload         TEXT    NOT NULL, -- JSON
    created_at      INTEGER NOT NULL
);
INSERT INTO conversation_events_new (seq, conversation_id, type, payload, created_at)
    SELECT seq, conversation_id, type, payload, created_at FROM conversation_events ORDER BY seq;
-- Event ids are never reused, even those of deleted events: the new table continues the old count.
DELETE FROM sqlite_sequence WHERE name = 'conversation_events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'conversation_events_new', seq FROM sqlite_sequence WHERE name = 'conversation_events';
DROP TABLE conversation_events;
ALTER TABLE conversation_events_new RENAME TO conversation_events;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, seq);
CREATE INDEX conversation_events_created ON conversation_events (created_at);
