package import HTTPServer
import HandoffCore
package import HandoffDomain

/// Consent per program (API.md "Programs and consent"): opt-ins obtained elsewhere and a
/// program's end, with an API key. The ledger itself is read at `GET /v1/contacts/{phone}/consents`.
package struct ConsentRoutes {
    let consents: ConsentService
    let authenticator: APIKeyAuthenticator
    let defaultRegion: String

    package init(consents: ConsentService, authenticator: APIKeyAuthenticator, defaultRegion: String) {
        self.consents = consents
        self.authenticator = authenticator
        self.defaultRegion = defaultRegion
    }

    package func register(in router: inout Router) {
        router.post("/v1/contacts/{phone}/consents") { [consents, authenticator, defaultRegion] request in
            try await authenticator.authenticate(request)
            let phone = try Self.phone(request, defaultRegion)
            let input = try JSONBody.decode(ConsentRequest.self, from: request)
            let (consent, created) = try await consents.record(
                phone: phone, input, clientKey: input.clientID ?? request.headers["Idempotency-Key"])
            return try JSONBody.response(ConsentEnvelopeJSON(consent: consent), status: created ? .created : .ok)
        }
        router.delete("/v1/contacts/{phone}/consents/{program}") { [consents, authenticator, defaultRegion] request in
            try await authenticator.authenticate(request)
            let consent = try await consents.revoke(
                phone: try Self.phone(request, defaultRegion), program: request.pathParameters["program"] ?? "")
            return try JSONBody.response(ConsentEnvelopeJSON(consent: consent))
        }
    }

    /// The path's number in E.164; 422 `invalid_phone` (or the parser's code) naming `phone`.
    static func phone(_ request: HTTPRequest, _ defaultRegion: String) throws(HTTPError) -> String {
        do {
            return try PhoneNumber(parsing: request.pathParameters["phone"] ?? "", defaultRegion: defaultRegion).e164
        } catch {
            throw HTTPError(.unprocessableEntity, code: error.code, message: error.message, field: "phone")
        }
    }
}
