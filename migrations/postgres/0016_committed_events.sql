-- 0016 (PostgreSQL): event ids in commit order, as live streams need them (see
-- migrations/0016_committed_events.sql). A sequence is not enough on PostgreSQL: a transaction
-- that took id 10 may commit after one that took 11, and a stream that already sent 11 would skip
-- 10 forever. So an event's id is made of its transaction's id and its place in the transaction:
--     seq = base + (pg_current_xact_id() << 16) + ordinal
-- and a stream reads only ids below the oldest transaction still running
-- (`pg_snapshot_xmin`): every transaction below it has ended, so each id a stream will ever read
-- later is above every id it read. An event shows once all the writes that began before its own
-- ended; a long-running write transaction (on any database of the server) holds streams back
-- while it runs. `base` is above every id given before this migration; ids stay below 2^53
-- (safe in JavaScript) for the first 2^37 transactions.

-- `base`: above every id given before this migration (`handoff migrate-to-postgres` moves it past
-- the ids it copies in).
CREATE SEQUENCE conversation_event_id_base;
SELECT setval('conversation_event_id_base', (SELECT coalesce(max(seq), 0) + 1 FROM conversation_events));

-- The id of the next event of this transaction (65,536 at most per transaction).
CREATE FUNCTION next_conversation_event_seq() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ordinal BIGINT := coalesce(nullif(current_setting('handoff.event_ordinal', true), ''), '-1')::BIGINT + 1;
BEGIN
    IF ordinal >= 65536 THEN
        RAISE EXCEPTION 'more than 65536 events in one transaction' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    PERFORM set_config('handoff.event_ordinal', ordinal::TEXT, true); -- for this transaction only
    RETURN (SELECT last_value FROM conversation_event_id_base) + (pg_current_xact_id()::TEXT::BIGINT << 16)
        + ordinal;
END $$;

-- The smallest id that may still appear: that of the oldest transaction still running.
CREATE FUNCTION conversation_event_horizon() RETURNS BIGINT LANGUAGE sql STABLE AS $$
    SELECT (SELECT last_value FROM conversation_event_id_base)
        + (pg_snapshot_xmin(pg_current_snapshot())::TEXT::BIGINT << 16)
$$;

ALTER TABLE conversation_events ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE conversation_events ALTER COLUMN seq SET DEFAULT next_conversation_event_seq();

-- Lists the columns as they are now: a later migration that adds one recreates the view.
CREATE VIEW committed_conversation_events AS
    SELECT * FROM conversation_events WHERE seq < conversation_event_horizon();
