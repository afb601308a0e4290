package import HTTPServer
import HTTPValues
package import HandoffDomain

/// Named agents in the admin API (`/v1/admin/agents`), authenticated by admin keys.
package struct AgentAdminRoutes {
    let agents: AgentDirectory
    let authenticator: APIKeyAuthenticator

    package init(agents: AgentDirectory, authenticator: APIKeyAuthenticator) {
        self.agents = agents
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        route(&router, .post, "/v1/admin/agents") { agents, request in
            let input = try JSONBody.decode(NewAgent.self, from: request)
            return try JSONBody.response(try await agents.create(input), status: .created)
        }
        route(&router, .get, "/v1/admin/agents") { agents, _ in
            try JSONBody.response(try await agents.list())
        }
        route(&router, .delete, "/v1/admin/agents/{id}") { agents, request in
            try JSONBody.response(try await agents.delete(id: request.pathParameters["id"] ?? ""))
        }
    }

    /// Adds a route that first checks the admin key.
    private func route(
        _ router: inout Router, _ method: HTTPMethod, _ pattern: String,
        _ handler: @escaping @Sendable (AgentDirectory, HTTPRequest) async throws -> HTTPResponse
    ) {
        router.add(method, pattern) { [agents, authenticator] request in
            try await authenticator.authenticate(request)
            return try await handler(agents, request)
        }
    }
}
