import Crypto
package import DatabaseDriver
import Foundation
import HandoffCore
package import Storage

/// Who is calling the bot and agent API: a configured API key (a bot or an integration, by a
/// short id of its digest), or a named agent by its own key.
package enum Caller: Sendable, Equatable {
    case apiKey(id: String)
    case agent(AgentRecord)

    /// The named agent, if the caller is one.
    package var agent: AgentRecord? {
        if case .agent(let agent) = self { agent } else { nil }
    }

    /// How audit trails name the caller.
    package var auditID: String {
        switch self {
        case .apiKey(let id): id
        case .agent(let agent): "agent:\(agent.id)"
        }
    }
}

/// Named agents (admin API): created with their own API key, shown once and kept only as its
/// SHA-256; found by that key on every request (never cached, so a deleted agent's key stops
/// working at once on every node).
package final class AgentDirectory: Sendable {
    private let database: any Database
    private let now: @Sendable () -> Int64

    package init(database: any Database, now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds) {
        self.database = database
        self.now = now
    }

    /// Longest agent name, in Unicode scalars.
    static let maxNameLength = 100
    /// Most queues one agent works.
    static let maxQueues = 50

    /// Creates an agent; returns it with its API key (the only time the key is seen).
    package func create(_ input: NewAgent) async throws -> AgentCreatedJSON {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.unicodeScalars.count <= Self.maxNameLength,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw Self.invalid(
                "name", "name must be 1 to \(Self.maxNameLength) characters, without control characters.")
        }
        guard let role = AgentRole(rawValue: input.role ?? AgentRole.agent.rawValue) else {
            throw Self.invalid("role", "role must be agent or supervisor.")
        }
        let queues = input.queues ?? []
        guard queues.count <= Self.maxQueues, queues.allSatisfy(QueueCatalog.isName) else {
            throw Self.invalid(
                "queues", "queues must be at most \(Self.maxQueues) queue names (letters, digits, _ and -, up to 64).")
        }
        let key = "agk_" + Identifiers.sessionToken()
        let agent = AgentRecord(
            id: Identifiers.make("agt"), name: name, role: role, queues: Array(Set(queues)).sorted(),
            createdAt: now())
        try await database.write { try AgentRepository($0).insert(agent, keyHash: Self.keyHash(key)) }
        return AgentCreatedJSON(agent: AgentJSON(agent), apiKey: key)
    }

    /// The agents that are not deleted, oldest first.
    package func list() async throws -> AgentListJSON {
        AgentListJSON(agents: try await database.read { try AgentRepository($0).agents() }.map(AgentJSON.init))
    }

    /// Deletes an agent: its key stops working now. 404 `agent_not_found` when there is none.
    package func delete(id: String) async throws -> AgentEnvelopeJSON {
        let now = now()
        let agent = try await database.write { connection -> AgentRecord? in
            let agents = AgentRepository(connection)
            guard var agent = try agents.agent(id: id), try agents.delete(id: id, now: now) else { return nil }
            agent.deletedAt = now
            return agent
        }
        guard let agent else { throw Self.notFound }
        return AgentEnvelopeJSON(agent: AgentJSON(agent))
    }

    /// The agent whose key has SHA-256 `keyHash`, read now. The lookup is by the digest of a
    /// 256-bit random key, so its timing tells a guesser nothing about any key.
    package func agent(keyHash: [UInt8]) async throws -> AgentRecord? {
        try await database.read { try AgentRepository($0).agent(keyHash: keyHash) }
    }

    static func keyHash(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }

    static let notFound = UseCaseError(.notFound, code: "agent_not_found", message: "No such agent.")

    private static func invalid(_ field: String, _ message: String) -> UseCaseError {
        UseCaseError(.invalid, code: "invalid_field", message: message, field: field)
    }
}

/// An agent as the admin API shows it (never its key).
package struct AgentJSON: Encodable, Sendable {
    var id: String
    var name: String
    var queues: [String]
    var role: AgentRole
    var createdAt: String
    var deletedAt: String?

    package enum CodingKeys: String, CodingKey {
        case id, name, queues, role
        case createdAt = "created_at"
        case deletedAt = "deleted_at"
    }

    init(_ record: AgentRecord) {
        id = record.id
        name = record.name
        queues = record.queues
        role = record.role
        createdAt = Timestamp(unixMilliseconds: record.createdAt).description
        deletedAt = record.deletedAt.map { Timestamp(unixMilliseconds: $0).description }
    }
}

/// `{agent, api_key}`: the answer to creating an agent, the only one that shows the key.
package struct AgentCreatedJSON: Encodable, Sendable {
    var agent: AgentJSON
    var apiKey: String

    package enum CodingKeys: String, CodingKey {
        case agent
        case apiKey = "api_key"
    }
}

/// `{agent}` for the caller of `GET /v1/agent/me`: the named agent whose key it is, or null for
/// a configured API key (a bot, an integration, the demo's key).
package struct SignedInJSON: Encodable, Sendable {
    var agent: AgentJSON?

    package init(_ caller: Caller) {
        agent = caller.agent.map(AgentJSON.init)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agent, forKey: .agent)
    }

    enum CodingKeys: String, CodingKey { case agent }
}

/// `{agent}`.
package struct AgentEnvelopeJSON: Encodable, Sendable {
    var agent: AgentJSON
}

/// `{agents}`.
package struct AgentListJSON: Encodable, Sendable {
    var agents: [AgentJSON]
}
