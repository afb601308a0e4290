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
