-- 0017: named agents, queues and assignment (issue 19). An agent has its own API key, stored only
-- as the SHA-256 of a 256-bit random key; deleting an agent stamps `deleted_at` (its key stops
-- working, what it wrote keeps its author). Messages an agent wrote carry its id and name as they
-- were; a conversation carries its owner, the first-response clock and how it was closed.

CREATE TABLE agents (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor')),
    queues      TEXT    NOT NULL, -- JSON array of queue names
    key_hash    BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);

ALTER TABLE messages ADD COLUMN agent_id TEXT REFERENCES agents (id);
ALTER TABLE messages ADD COLUMN agent_name TEXT;

ALTER TABLE conversations ADD COLUMN assigned_agent_id TEXT REFERENCES agents (id);
ALTER TABLE conversations ADD COLUMN assigned_agent_name TEXT;
-- When a human must first answer (set by escalation or routing from the queue's SLA), NULL once
-- a human answered; the breach is stamped once.
ALTER TABLE conversations ADD COLUMN first_response_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_human_response_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_breached_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolution TEXT CHECK (resolution IN ('resolved', 'unresolved', 'spam'));

CREATE INDEX conversations_assigned ON conversations (assigned_agent_id, seq);
CREATE INDEX conversations_first_response_due ON conversations (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL AND sla_breached_at IS NULL;
