import Crypto
import Foundation
import GatewaySimulator
import HTTPServer
import HandoffCore
import Synchronization
import TestSupport
import Testing

@testable import HandoffService

/// What the identity, contacts, attribution and outcome suites share: an application with an
/// identity secret and an admin key, identity hashes, and sessions that prove an identity.
enum Identity {
    static let secret = "identity-secret-for-tests-0123"
    static let adminKey = "admin-key-for-identity-tests"
    static let admin = [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")]

    /// A transactional program for texts to contacts found by their external id.
    static let programs = try! ProgramCatalog([
        Program(
            id: "receipts", name: "Receipts", kind: .transactional,
            disclosures: ["en": "{{brand}} receipts. Reply STOP to cancel."])
    ])

    /// The settings of these suites' applications: the identity secret, the admin key, the
    /// receipts program.
    static func configure(_ configuration: inout Configuration) {
        configuration.identitySecret = secret
        configuration.adminAPIKeys = [adminKey]
        configuration.programs = programs
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

    /// A session proving `externalID` whose handoff to `phone` is verified; its cookie (rotated by
    /// the verification) and conversation id.
    static func identifiedSessionWithPhone(
        _ client: HTTPTestClient, _ simulator: GatewaySimulator, _ externalID: String, phone: String,
        extra: String = ""
    ) async throws -> (cookie: String, conversationID: String) {
        let (cookie, conversationID) = try await identifiedSession(client, externalID, extra: extra)
        _ = try await API.requestHandoff(cookie, phone, client)
        let code = try await API.code(simulator, phone)
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
        #expect(verified.status == 200)
        return (try API.rotatedCookie(verified), conversationID)
    }

    /// An approved receipts template; its id.
    static func approvedReceiptTemplate(_ client: HTTPTestClient) async throws -> String {
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body:
                #"{"name":"receipt","program":"receipts","locale":"en","body":"{{brand}}: paid {{amount}}. Reply STOP to opt out.","variables":[{"name":"amount","type":"text"}]}"#
        )
        #expect(created.status == 201)
        let id = try #require((created.json?["template"] as? [String: Any])?["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: admin)
        #expect(approved.status == 200)
        return id
    }

    /// Records `phone`'s opt-in to receipts, obtained on a web form.
    static func optInToReceipts(_ phone: String, _ client: HTTPTestClient) async throws {
        let recorded = try await client.request(
            "POST", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents", headers: API.agent,
            body:
                #"{"program":"receipts","source":"web_form","disclosure_text":"Receipts. Reply STOP to cancel.","captured_at":"2026-12-01T10:00:00.000Z"}"#
        )
        #expect(recorded.status == 201)
    }
}

extension Identity {
    /// A business's event webhook endpoint on loopback that keeps every event it receives.
    final class WebhookReceiver: Sendable {
        private final class Inbox: Sendable {
            let bodies = Mutex<[[UInt8]]>([])
        }

        private let inbox = Inbox()
        private let server: HTTPServer

        init() throws {
            var router = Router()
            router.post("/hooks") { [inbox] request in
                inbox.bodies.withLock { $0.append(request.body) }
                return HTTPResponse(status: .noContent)
            }
            server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
            try server.start()
        }

        /// Points the application's business events here.
        func configure(_ configuration: inout Configuration) {
            configuration.eventWebhookURL = "http://127.0.0.1:\(server.port)/hooks"
            configuration.eventWebhookSecret = "whsec-identity-tests"
        }

        /// The `data` of the events of `type` received so far, in order.
        func received(ofType type: String) -> [[String: Any]] {
            inbox.bodies.withLock { $0 }.compactMap { body in
                guard let event = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                    event["type"] as? String == type
                else { return nil }
                return event["data"] as? [String: Any]
            }
        }

        /// The `data` of the events of `type`, once `count` of them arrived (up to 10 s).
        func events(ofType type: String, count: Int) async throws -> [[String: Any]] {
            var events: [[String: Any]] = []
            _ = try await eventually {
                events = received(ofType: type)
                return events.count >= count
            }
            return events
        }

        func stop() {
            let server = server
            Task { await server.shutdown(gracePeriod: .zero) }
        }
    }
}
