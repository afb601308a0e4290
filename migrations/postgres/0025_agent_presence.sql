-- 0025 (PostgreSQL): agents present, auto-assignment and wait-time notices, as
-- migrations/0025_agent_presence.sql.

CREATE TABLE agent_presence (
    id          TEXT    PRIMARY KEY,
    agent_id    TEXT    NOT NULL REFERENCES agents (id),
    node_id     TEXT    NOT NULL,
    opened_at   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX agent_presence_agent ON agent_presence (agent_id, expires_at);
CREATE INDEX agent_presence_expires ON agent_presence (expires_at);

ALTER TABLE agents ADD COLUMN last_assigned_at BIGINT;

ALTER TABLE conversations ADD COLUMN wait_notice_sent_at BIGINT;

CREATE INDEX conversations_awaiting_agent ON conversations (queue, seq)
    WHERE state = 'escalated' AND assigned_agent_id IS NULL;
