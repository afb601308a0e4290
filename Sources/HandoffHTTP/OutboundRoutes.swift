package import HTTPServer
package import HandoffDomain

/// Proactive texts (API.md "Proactive texts"), with an API key.
package struct OutboundRoutes {
    let outbound: OutboundService
    let authenticator: APIKeyAuthenticator

    package init(outbound: OutboundService, authenticator: APIKeyAuthenticator) {
        self.outbound = outbound
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        router.post("/v1/outbound") { [outbound, authenticator] request in
            try await authenticator.authenticate(request)
            let input = try JSONBody.decode(OutboundRequest.self, from: request)
            let (text, created) = try await outbound.send(
                input, clientKey: input.clientID ?? request.headers["Idempotency-Key"])
            return try JSONBody.response(OutboundEnvelopeJSON(outbound: text), status: created ? .accepted : .ok)
        }
        router.post("/v1/outbound/batch") { [outbound, authenticator] request in
            try await authenticator.authenticate(request)
            let input = try JSONBody.decode(OutboundBatchRequest.self, from: request)
            return try JSONBody.response(OutboundBatchJSON(results: await outbound.sendBatch(input)))
        }
        router.get("/v1/outbound/{id}") { [outbound, authenticator] request in
            try await authenticator.authenticate(request)
            let text = try await outbound.outbound(id: request.pathParameters["id"] ?? "")
            return try JSONBody.response(OutboundEnvelopeJSON(outbound: text))
        }
        router.delete("/v1/outbound/{id}") { [outbound, authenticator] request in
            try await authenticator.authenticate(request)
            let text = try await outbound.cancel(id: request.pathParameters["id"] ?? "")
            return try JSONBody.response(OutboundEnvelopeJSON(outbound: text))
        }
    }
}
