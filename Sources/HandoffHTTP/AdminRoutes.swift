import Foundation
package import HTTPServer
import HTTPValues
package import HandoffDomain

/// The admin API (`/v1/admin/...`), authenticated by admin keys (never the bot/agent keys): the
/// outbox and its dead letters, suppressions with their audit, and data subject requests.
package struct AdminRoutes {
    let administration: Administration
    let authenticator: APIKeyAuthenticator

    package init(administration: Administration, authenticator: APIKeyAuthenticator) {
        self.administration = administration
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        route(&router, .get, "/v1/admin/outbox") { administration, request, _ in
            let query = try QueryParameters(request)
            return try JSONBody.response(
                try await administration.outbox(
                    state: query["state"], kind: query["kind"], after: query["after"], limit: try query.limit()))
        }
        route(&router, .post, "/v1/admin/outbox/{id}/replay") { administration, request, _ in
            try JSONBody.response(try await administration.replay(id: request.pathParameters["id"] ?? ""))
        }
        route(&router, .post, "/v1/admin/outbox/{id}/discard") { administration, request, _ in
            let input = try JSONBody.decode(ReasonRequest.self, from: request)
            return try JSONBody.response(
                try await administration.discard(id: request.pathParameters["id"] ?? "", reason: input.reason))
        }
        route(&router, .get, "/v1/admin/suppressions") { administration, request, _ in
            let query = try QueryParameters(request)
            return try JSONBody.response(
                try await administration.suppressions(after: query["after"], limit: try query.limit()))
        }
        route(&router, .post, "/v1/admin/suppressions") { administration, request, actor in
            let input = try JSONBody.decode(NewSuppression.self, from: request)
            let (detail, created) = try await administration.suppress(
                phone: input.phone, reason: input.reason, actor: actor)
            return try JSONBody.response(detail, status: created ? .created : .ok)
        }
        route(&router, .get, "/v1/admin/suppressions/{phone}") { administration, request, _ in
            try JSONBody.response(try await administration.suppression(phone: Self.phone(request)))
        }
        route(&router, .delete, "/v1/admin/suppressions/{phone}") { administration, request, actor in
            let input = try JSONBody.decode(ReasonRequest.self, from: request)
            let query = try QueryParameters(request)
            let reason = input.reason ?? query["reason"]
            return try JSONBody.response(
                try await administration.unsuppress(phone: Self.phone(request), reason: reason, actor: actor))
        }
        route(&router, .get, "/v1/admin/contacts/{phone}") { administration, request, _ in
            HTTPResponse(
                contentType: "application/json; charset=utf-8",
                body: Array(try await administration.exportContact(phone: Self.phone(request))))
        }
        route(&router, .delete, "/v1/admin/contacts/{phone}") { administration, request, _ in
            let removed = try await administration.eraseContact(phone: Self.phone(request))
            return try JSONBody.response(Erasure(erasedRows: removed))
        }
    }

    /// Adds a route that first checks the admin key; the handler gets the actor for audit trails.
    private func route(
        _ router: inout Router, _ method: HTTPMethod, _ pattern: String,
        _ handler: @escaping @Sendable (Administration, HTTPRequest, String) async throws -> HTTPResponse
    ) {
        router.add(method, pattern) { [administration, authenticator] request in
            let keyID = try await authenticator.authenticate(request).auditID
            return try await handler(administration, request, "operator:\(keyID)")
        }
    }

    private static func phone(_ request: HTTPRequest) -> String { request.pathParameters["phone"] ?? "" }

    /// `{erased_rows}`.
    package struct Erasure: Encodable {
        var erasedRows: Int

        enum CodingKeys: String, CodingKey {
            case erasedRows = "erased_rows"
        }
    }
}
