public import DatabaseDriver
import Foundation
public import HandoffCore

/// A named agent with its own API key (kept only as the key's SHA-256).
public struct AgentRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: AgentRole
    /// The queues it works (names from the `queues:` configuration).
    public var queues: [String]
    public var createdAt: Int64
    /// Set when deleted: its key no longer works.
    public var deletedAt: Int64?

    public init(
        id: String, name: String, role: AgentRole, queues: [String], createdAt: Int64, deletedAt: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.queues = queues
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }
}

/// The SQL of named agents: creating them with their key's hash, finding one by a key, listing
/// and deleting them.
public struct AgentRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    public func insert(_ agent: AgentRecord, keyHash: [UInt8]) throws(StorageError) {
        try connection.execute(
            "INSERT INTO agents (id, name, role, queues, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(agent.id), .text(agent.name), .text(agent.role), .text(Self.encode(agent.queues)),
                .blob(keyHash), .integer(agent.createdAt),
            ])
    }

    /// The agent that is not deleted whose key hashes to `keyHash`.
    public func agent(keyHash: [UInt8]) throws(StorageError) -> AgentRecord? {
        try connection.queryOne(
            "SELECT * FROM agents WHERE key_hash = ? AND deleted_at IS NULL", [.blob(keyHash)]
        ).map(Self.agent)
    }

    /// The agent with `id` that is not deleted.
    public func agent(id: String) throws(StorageError) -> AgentRecord? {
        try connection.queryOne("SELECT * FROM agents WHERE id = ? AND deleted_at IS NULL", [.text(id)]).map(
            Self.agent)
    }

    /// The agents that are not deleted, oldest first.
    public func agents() throws(StorageError) -> [AgentRecord] {
        try connection.query("SELECT * FROM agents WHERE deleted_at IS NULL ORDER BY created_at, id", []).map(
            Self.agent)
    }

    /// Stamps the agent deleted; false when there was no such agent (or it was deleted already).
    public func delete(id: String, now: Int64) throws(StorageError) -> Bool {
        try connection.execute(
            "UPDATE agents SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [.integer(now), .text(id)]) == 1
    }

    private static func encode(_ queues: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(queues)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func agent(_ row: Row) throws(StorageError) -> AgentRecord {
        let queues: String = try row.get("queues")
        guard let decoded = try? JSONDecoder().decode([String].self, from: Data(queues.utf8)) else {
            throw StorageError(kind: .decoding, message: "agents.queues is not a JSON array of names", sql: nil)
        }
        return try AgentRecord(
            id: row.get("id"), name: row.get("name"), role: row.get("role"), queues: decoded,
            createdAt: row.get("created_at"), deletedAt: row.get("deleted_at"))
    }
}
