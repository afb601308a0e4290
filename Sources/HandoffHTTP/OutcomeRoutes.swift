package import HTTPServer
package import HandoffDomain

/// Outcomes (API.md "Identity, attribution, outcomes, reports"): what a conversation led to,
/// recorded with an API key.
package struct OutcomeRoutes {
    let outcomes: OutcomeService
    let authenticator: APIKeyAuthenticator

    package init(outcomes: OutcomeService, authenticator: APIKeyAuthenticator) {
        self.outcomes = outcomes
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        router.post("/v1/conversations/{id}/outcomes") { [outcomes, authenticator] request in
            try await authenticator.authenticate(request)
            let input = try JSONBody.decode(OutcomeRequest.self, from: request)
            let (outcome, created) = try await outcomes.record(
                conversationID: request.pathParameters["id"] ?? "", input,
                clientKey: input.clientID ?? request.headers["Idempotency-Key"])
            return try JSONBody.response(OutcomeEnvelopeJSON(outcome: outcome), status: created ? .created : .ok)
        }
    }
}
