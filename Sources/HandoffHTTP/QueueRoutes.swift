package import HTTPServer
package import HandoffDomain

/// `GET /v1/queues`: the configured queues with their counts (API key or agent key).
package struct QueueRoutes {
    let queues: QueueService
    let authenticator: APIKeyAuthenticator

    package init(queues: QueueService, authenticator: APIKeyAuthenticator) {
        self.queues = queues
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        router.get("/v1/queues") { [queues, authenticator] request in
            try await authenticator.authenticate(request)
            return try JSONBody.response(try await queues.list())
        }
    }
}
