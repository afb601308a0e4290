import Crypto
import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// What the identity, contacts, attribution and outcome suites share: an application with an
/// identity secret and an admin key, identity hashes, and sessions that prove an identity.
enum Identity {
    static let secret = "identity-secret-for-tests-0123"
    static let adminKey = "admin-key-for-identity-tests"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]

    /// The settings of these suites' applications: the identity secret and the admin key.
    static func configure(_ configuration: inout Configuration) {
        configuration.identitySecret = secret
        configuration.adminAPIKeys = [adminKey]
    }

    /// Hex HMAC-SHA256 of `externalID` under `secret`, as a site's server computes it.
    static func hash(_ externalID: String, secret: String = Identity.secret) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(externalID.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    /// The body of `POST /v1/sessions` asserting `externalID` with `hash` (its right hash unless
    /// given), plus `extra` fields (`"campaign":"x"`, leading comma included).
    static func sessionBody(_ externalID: String, hash: String? = nil, extra: String = "") throws -> String {
        let fields: [String: String] = ["external_id": externalID, "identity_hash": hash ?? Self.hash(externalID)]
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: fields, options: .sortedKeys), as: UTF8.self)
        return String(json.dropLast()) + extra + "}"
    }

    /// `POST /v1/sessions` with `body`, and the cookie sent when there is one.
    static func startSession(
        _ client: HTTPTestClient, body: String, cookie: String? = nil
    ) async throws -> HTTPTestClient.Response {
        var headers = API.jsonContent
        if let cookie { headers.append(("Cookie", cookie)) }
        return try await client.request("POST", "/v1/sessions", headers: headers, body: body)
    }

    /// A new session proving `externalID`; its cookie and conversation id.
    static func identifiedSession(
        _ client: HTTPTestClient, _ externalID: String, extra: String = ""
    ) async throws -> (cookie: String, conversationID: String) {
        let started = try await startSession(client, body: try sessionBody(externalID, extra: extra))
        #expect(started.status == 201)
        let cookie = try #require(started.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        return (cookie, try #require(started.json?["conversation_id"] as? String))
    }

    /// The `contact` of a conversation, as agents see it.
    static func contactOfConversation(_ id: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        let conversation = try await client.request("GET", "/v1/conversations/\(id)", headers: API.agent)
        #expect(conversation.status == 200)
        return try #require(conversation.json?["contact"] as? [String: Any])
    }
}
