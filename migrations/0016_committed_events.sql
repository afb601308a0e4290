-- 0016: the event log as live streams read it. A stream reads `committed_conversation_events`
-- after the last id it sent, in id order, and must never find later a smaller id than one it sent.
-- SQLite's one writer commits in id order, so here the view is the table; PostgreSQL's view
-- (migrations/postgres/0016_committed_events.sql) hides the ids whose order is not final yet.

CREATE VIEW committed_conversation_events AS SELECT * FROM conversation_events;
