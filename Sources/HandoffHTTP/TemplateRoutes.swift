package import HTTPServer
import HTTPValues
package import HandoffDomain

/// Templates (API.md "Templates"): written and previewed with an API key, approved with an
/// admin key.
package struct TemplateRoutes {
    let templates: TemplateService
    let authenticator: APIKeyAuthenticator
    let adminAuthenticator: APIKeyAuthenticator

    package init(
        templates: TemplateService, authenticator: APIKeyAuthenticator, adminAuthenticator: APIKeyAuthenticator
    ) {
        self.templates = templates
        self.authenticator = authenticator
        self.adminAuthenticator = adminAuthenticator
    }

    package func register(in router: inout Router) {
        route(&router, .post, "/v1/templates") { templates, request in
            let input = try JSONBody.decode(TemplateCreateRequest.self, from: request)
            let (template, created) = try await templates.create(
                input.definition, clientKey: input.clientID ?? request.headers["Idempotency-Key"])
            return try JSONBody.response(TemplateEnvelopeJSON(template: template), status: created ? .created : .ok)
        }
        route(&router, .get, "/v1/templates") { templates, request in
            let query = try QueryParameters(request)
            return try JSONBody.response(
                try await templates.templates(
                    program: query["program"], state: query["state"], after: query["after"], limit: try query.limit()))
        }
        route(&router, .get, "/v1/templates/{id}") { templates, request in
            try JSONBody.response(TemplateEnvelopeJSON(template: try await templates.template(id: Self.id(request))))
        }
        route(&router, .put, "/v1/templates/{id}") { templates, request in
            let input = try JSONBody.decode(TemplateUpdateRequest.self, from: request)
            let template = try await templates.update(id: Self.id(request), changes: input.changes)
            return try JSONBody.response(TemplateEnvelopeJSON(template: template))
        }
        route(&router, .delete, "/v1/templates/{id}") { templates, request in
            try JSONBody.response(TemplateEnvelopeJSON(template: try await templates.archive(id: Self.id(request))))
        }
        route(&router, .post, "/v1/templates/{id}/preview") { templates, request in
            let input = try JSONBody.decode(TemplatePreviewRequest.self, from: request)
            return try JSONBody.response(
                try await templates.preview(id: Self.id(request), values: input.variables, locale: input.locale))
        }
        router.add(.post, "/v1/templates/{id}/approve") { [templates, adminAuthenticator] request in
            let approver = try await adminAuthenticator.authenticate(request).auditID
            let template = try await templates.approve(id: Self.id(request), approver: "admin:\(approver)")
            return try JSONBody.response(TemplateEnvelopeJSON(template: template))
        }
    }

    /// Adds a route that first checks the API key.
    private func route(
        _ router: inout Router, _ method: HTTPMethod, _ pattern: String,
        _ handler: @escaping @Sendable (TemplateService, HTTPRequest) async throws -> HTTPResponse
    ) {
        router.add(method, pattern) { [templates, authenticator] request in
            try await authenticator.authenticate(request)
            return try await handler(templates, request)
        }
    }

    private static func id(_ request: HTTPRequest) -> String { request.pathParameters["id"] ?? "" }
}
