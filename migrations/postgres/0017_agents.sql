-- 0017 (PostgreSQL): named agents, queues and assignment, as migrations/0017_agents.sql.

CREATE TABLE agents (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor')),
    queues      TEXT    NOT NULL, -- JSON array of queue names
    key_hash    BYTEA   NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    deleted_at  BIGINT
);

ALTER TABLE messages ADD COLUMN agent_id TEXT REFERENCES agents (id);
ALTER TABLE messages ADD COLUMN agent_name TEXT;

ALTER TABLE conversations ADD COLUMN assigned_agent_id TEXT REFERENCES agents (id);
ALTER TABLE conversations ADD COLUMN assigned_agent_name TEXT;
ALTER TABLE conversations ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_human_response_at BIGINT;
ALTER TABLE conversations ADD COLUMN sla_breached_at BIGINT;
ALTER TABLE conversations ADD COLUMN resolution TEXT CHECK (resolution IN ('resolved', 'unresolved', 'spam'));

CREATE INDEX conversations_assigned ON conversations (assigned_agent_id, seq);
CREATE INDEX conversations_first_response_due ON conversations (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL AND sla_breached_at IS NULL;
