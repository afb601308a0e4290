-- 0025: agents present, auto-assignment and wait-time notices (issue 19). An agent is present
-- while a `GET /v1/agent/events` stream of theirs is open: one row per open stream, with the node
-- serving it and an expiry the node renews while the stream is open; the row goes when the stream
-- closes, and a crashed node's rows run out (expired rows count for nothing). Auto-assignment
-- gives a waiting conversation to the present agent assigned least recently (`last_assigned_at`,
-- stamped by every assignment), so the turn is shared by every node. A conversation's wait-time
-- notice is sent once (`wait_notice_sent_at`).

CREATE TABLE agent_presence (
    id          TEXT    PRIMARY KEY,  -- one open stream
    agent_id    TEXT    NOT NULL REFERENCES agents (id),
    node_id     TEXT    NOT NULL,
    opened_at   INTEGER NOT NULL,     -- Unix milliseconds
    expires_at  INTEGER NOT NULL
);
CREATE INDEX agent_presence_agent ON agent_presence (agent_id, expires_at);
CREATE INDEX agent_presence_expires ON agent_presence (expires_at);

ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;

ALTER TABLE conversations ADD COLUMN wait_notice_sent_at INTEGER;

-- Conversations in a queue that nobody owns yet, for the auto-assignment rounds.
CREATE INDEX conversations_awaiting_agent ON conversations (queue, seq)
    WHERE state = 'escalated' AND assigned_agent_id IS NULL;
