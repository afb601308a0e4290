import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// Named agents for the agents, queues and assignment suites: an admin key, and agents made
/// through the admin API.
enum Agents {
    /// The admin key the agents suites' applications accept.
    static let adminKey = "admin-key-0123456789"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]

    /// Adds the admin key to a configuration.
    static func withAdminKey(_ configuration: inout Configuration) {
        configuration.adminAPIKeys = [adminKey]
    }

    /// A named agent made through the admin API: its id and its key.
    struct Made {
        var id: String
        var name: String
        var key: String
        /// The headers of a JSON request with this agent's key.
        var headers: [(String, String)] { [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")] }
    }

    static func make(
        _ name: String, role: String = "agent", queues: [String] = [], _ client: HTTPTestClient
    ) async throws -> Made {
        let queueList = queues.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await client.request(
            "POST", "/v1/admin/agents", headers: admin,
            body: #"{"name":"\#(name)","role":"\#(role)","queues":[\#(queueList)]}"#)
        try #require(response.status == 201, "\(response.body)")
        let agent = try #require(response.json?["agent"] as? [String: Any])
        return Made(
            id: try #require(agent["id"] as? String), name: name,
            key: try #require(response.json?["api_key"] as? String))
    }
}

/// Queues for the queues and assignment suites.
enum Queues {
    static let yaml = """
        queues:
          - name: support
            first_response_sla: 2m
            overflow_queue: supervisors
            members: []
          - name: supervisors
            first_response_sla: 5m
        """

    /// A configuration file's settings as the loader reads them.
    static func load(_ file: String) throws -> Configuration {
        let directory = try TemporaryDirectory()
        let path = directory.file("handoff.yaml").path
        try file.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigurationLoader(environment: [:]).load(configPath: path).configuration
    }

    /// The admin key and the queues of `yaml`.
    static func configure(_ configuration: inout Configuration) {
        Agents.withAdminKey(&configuration)
        configuration.queues = (try? load(yaml).queues) ?? configuration.queues
    }

    /// A conversation (a visitor's session) escalated by the API to `queue`: its id.
    static func escalated(to queue: String, _ client: HTTPTestClient) async throws -> String {
        let (_, session) = try await API.startSession(client)
        let id = try #require(session["conversation_id"] as? String)
        let escalated = try await client.request(
            "POST", "/v1/conversations/\(id)/escalate", headers: API.agent, body: #"{"queue":"\#(queue)"}"#)
        try #require(escalated.status == 200, "\(escalated.body)")
        return id
    }

    /// The conversation as the API shows it.
    static func conversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        try #require(try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent).json)
    }
}
