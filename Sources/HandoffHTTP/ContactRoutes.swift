package import HTTPServer
import HTTPValues
package import HandoffDomain

/// The contacts API (API.md "Identity, attribution, outcomes, reports"): a contact by id or by the
/// business's external id, and its conversations, with an API key; an admin key also sees the
/// unmasked phone.
package struct ContactRoutes {
    let contacts: ContactService
    let authenticator: APIKeyAuthenticator
    let adminAuthenticator: APIKeyAuthenticator

    package init(
        contacts: ContactService, authenticator: APIKeyAuthenticator, adminAuthenticator: APIKeyAuthenticator
    ) {
        self.contacts = contacts
        self.authenticator = authenticator
        self.adminAuthenticator = adminAuthenticator
    }

    package func register(in router: inout Router) {
        router.get("/v1/contacts") { [contacts, authenticator, adminAuthenticator] request in
            let isAdmin = try await Self.caller(request, authenticator, adminAuthenticator)
            guard let externalID = try QueryParameters(request)["external_id"] else {
                throw HTTPError(
                    .unprocessableEntity, code: "missing_field", message: "Look a contact up by ?external_id=.",
                    field: "external_id")
            }
            return try JSONBody.response(try await contacts.contact(externalID: externalID, revealPhone: isAdmin))
        }
        router.get("/v1/contacts/{id}") { [contacts, authenticator, adminAuthenticator] request in
            let isAdmin = try await Self.caller(request, authenticator, adminAuthenticator)
            return try JSONBody.response(try await contacts.contact(id: Self.id(request), revealPhone: isAdmin))
        }
        router.get("/v1/contacts/{id}/conversations") { [contacts, authenticator, adminAuthenticator] request in
            try await Self.caller(request, authenticator, adminAuthenticator)
            let query = try QueryParameters(request)
            return try JSONBody.response(
                try await contacts.conversations(
                    contactID: Self.id(request), after: query["after"], limit: try query.limit()))
        }
    }

    /// Whether the caller holds an admin key; otherwise an API key is required (401 without).
    @discardableResult
    private static func caller(
        _ request: HTTPRequest, _ authenticator: APIKeyAuthenticator, _ adminAuthenticator: APIKeyAuthenticator
    ) async throws -> Bool {
        if adminAuthenticator.accepts(request) { return true }
        try await authenticator.authenticate(request)
        return false
    }

    private static func id(_ request: HTTPRequest) -> String { request.pathParameters["id"] ?? "" }
}
