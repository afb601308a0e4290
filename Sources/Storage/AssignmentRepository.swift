public import DatabaseDriver

/// The SQL of agents' presence and auto-assignment: one `agent_presence` row per open agent
/// stream (with the node serving it and an expiry the node renews; expired rows count for
/// nothing), each agent's last assignment (the turn of round robin), and the conversations in a
/// queue that nobody owns yet.
public struct AssignmentRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Records the open stream `id` of `agentID` on `node` until `expiresAt`, or renews it.
    public func arrive(
        streamID id: String, agentID: String, node: String, now: Int64, expiresAt: Int64
    ) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO agent_presence (id, agent_id, node_id, opened_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (id) DO UPDATE SET expires_at = ?5
            """,
            [.text(id), .text(agentID), .text(node), .integer(now), .integer(expiresAt)])
    }

    /// The stream `id` closed.
    public func leave(streamID id: String) throws(StorageError) {
        try connection.execute("DELETE FROM agent_presence WHERE id = ?", [.text(id)])
    }

    /// Deletes the rows that ran out before `before` (their streams' node stopped renewing them).
    public func purgeExpired(before: Int64) throws(StorageError) {
        try connection.execute("DELETE FROM agent_presence WHERE expires_at < ?", [.integer(before)])
    }

    /// The agents (not deleted) with a stream open at `now`, least recently assigned first (never
    /// assigned before any other; ties by id).
    public func presentAgents(now: Int64) throws(StorageError) -> [AgentRecord] {
        try connection.query(
            """
            SELECT * FROM agents
            WHERE deleted_at IS NULL AND id IN (SELECT agent_id FROM agent_presence WHERE expires_at > ?)
            ORDER BY COALESCE(last_assigned_at, 0), id
            """,
            [.integer(now)]
        ).map(AgentRepository.agent)
    }

    /// Stamps `agentID` assigned at `now`: its turn comes after every agent assigned before.
    public func recordAssignment(agentID: String, now: Int64) throws(StorageError) {
        try connection.execute("UPDATE agents SET last_assigned_at = ? WHERE id = ?", [.integer(now), .text(agentID)])
    }

    /// The ids of escalated conversations in one of `queues` that nobody owns, oldest first.
    public func awaitingAgent(queues: [String], limit: Int) throws(StorageError) -> [String] {
        guard !queues.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: queues.count).joined(separator: ", ")
        return try connection.query(
            """
            SELECT id FROM conversations
            WHERE state = 'escalated' AND assigned_agent_id IS NULL AND queue IN (\(placeholders))
            ORDER BY seq LIMIT ?
            """,
            queues.map { .text($0) } + [.int(limit)]
        ).map { row throws(StorageError) in try row.get("id") }
    }
}
