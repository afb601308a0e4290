import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Verified identity (API.md "Identity, attribution, outcomes, reports"): `external_id` with its
/// HMAC binds the session's contact, and nothing else does.
@Suite struct IdentityTests {
    /// Whether any contact carries `externalID`.
    static func isBound(_ externalID: String, _ application: HandoffApplication) async throws -> Bool {
        try await application.database.read { try ChatRepository($0).contact(externalID: externalID) } != nil
    }

    @Test func aValidPairBindsTheContactAndAnotherBrowserJoinsIt() async throws {
        try await TestApplication.live(Identity.configure) { _, client, _ in
            let first = try await Identity.identifiedSession(client, "crm-4711", extra: #","display_name":"Ada""#)
            let contact = try await Identity.contactOfConversation(first.conversationID, client)
            #expect(contact["external_id"] as? String == "crm-4711" && contact["display_name"] as? String == "Ada")

            // The same customer on another device: the same contact, the same open conversation.
            let second = try await Identity.identifiedSession(client, "crm-4711")
            #expect(second.cookie != first.cookie && second.conversationID == first.conversationID)
            let sent = try await client.request(
                "POST", "/v1/messages", headers: API.json(second.cookie), body: #"{"body":"Hi from my phone"}"#)
            #expect(sent.status == 201)
            #expect(try await API.history(first.cookie, client).map { $0["body"] as? String } == ["Hi from my phone"])
        }
    }

    @Test func aWrongOrMissingHashIsRefusedAndBindsNothing() async throws {
        try await TestApplication.inProcess(Identity.configure) { application, client, _ in
            let refusals = [
                try Identity.sessionBody("crm-1", hash: String(repeating: "0", count: 64)),
                try Identity.sessionBody("crm-1", hash: Identity.hash("crm-2")),
                try Identity.sessionBody("crm-1", hash: Identity.hash("crm-1", secret: "another-secret-0123456")),
                try Identity.sessionBody("crm-1", hash: String(Identity.hash("crm-1").dropLast())),
                try Identity.sessionBody("crm-1", hash: "not hex at all"),
                #"{"external_id":"crm-1"}"#,
            ]
            for body in refusals {
                let refused = try await Identity.startSession(client, body: body)
                #expect(refused.status == 403 && API.errorCode(refused) == "invalid_identity", "\(body)")
                #expect(refused.header("Set-Cookie") == nil)
            }
            #expect(try await !Self.isBound("crm-1", application))
            // Hex digits in either case are the same hash.
            let upper = try await Identity.startSession(
                client, body: try Identity.sessionBody("crm-1", hash: Identity.hash("crm-1").uppercased()))
            #expect(upper.status == 201)
            #expect(try await Self.isBound("crm-1", application))
        }
    }

    @Test func malformedAssertionsAre422() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let cases = [
                (#"{"identity_hash":"\#(Identity.hash("x"))"}"#, "missing_field", "external_id"),
                (#"{"external_id":"","identity_hash":"\#(Identity.hash(""))"}"#, "invalid_field", "external_id"),
                (try Identity.sessionBody(String(repeating: "x", count: 256)), "invalid_field", "external_id"),
                (try Identity.sessionBody("a\u{1}b"), "invalid_field", "external_id"),
                (
                    try Identity.sessionBody("crm-1", hash: String(repeating: "a", count: 65)), "too_long",
                    "identity_hash"
                ),
            ]
            for (body, code, field) in cases {
                let refused = try await Identity.startSession(client, body: body)
                #expect(refused.status == 422 && API.errorCode(refused) == code, "\(body)")
                #expect(API.errorField(refused) == field, "\(body)")
            }
        }
    }

    @Test func aResumedSessionIsBoundOnceAndKeepsItsFirstID() async throws {
        try await TestApplication.inProcess(Identity.configure) { application, client, _ in
            let (cookie, session) = try await API.startSession(client)
            let conversationID = try #require(session["conversation_id"] as? String)
            let bound = try await Identity.startSession(client, body: try Identity.sessionBody("crm-7"), cookie: cookie)
            #expect(bound.status == 200 && bound.json?["conversation_id"] as? String == conversationID)
            #expect(bound.json?["session_id"] as? String == session["session_id"] as? String)
            #expect(
                try await Identity.contactOfConversation(conversationID, client)["external_id"] as? String == "crm-7")
            let again = try await Identity.startSession(client, body: try Identity.sessionBody("crm-7"), cookie: cookie)
            #expect(again.status == 200)

            let other = try await Identity.startSession(client, body: try Identity.sessionBody("crm-8"), cookie: cookie)
            #expect(other.status == 409 && API.errorCode(other) == "identity_conflict")
            #expect(try await !Self.isBound("crm-8", application))
            #expect(
                try await Identity.contactOfConversation(conversationID, client)["external_id"] as? String == "crm-7")
        }
    }

    @Test func anAnonymousVisitorWhoSignsInJoinsTheKnownContact() async throws {
        try await TestApplication.inProcess(Identity.configure) { _, client, _ in
            let known = try await Identity.identifiedSession(client, "crm-9")
            let (anonymous, session) = try await API.startSession(client)
            let signedIn = try await Identity.startSession(
                client, body: try Identity.sessionBody("crm-9"), cookie: anonymous)
            #expect(signedIn.status == 201 && signedIn.header("Set-Cookie") != nil)
            #expect(signedIn.json?["conversation_id"] as? String == known.conversationID)
            // The anonymous conversation stays anonymous.
            let left = try #require(session["conversation_id"] as? String)
            #expect(try await Identity.contactOfConversation(left, client)["external_id"] == nil)
        }
    }

    @Test func withoutASecretEveryExternalIDIsRefused() async throws {
        try await TestApplication.inProcess { application, client, _ in
            let refused = try await Identity.startSession(client, body: try Identity.sessionBody("crm-1"))
            #expect(refused.status == 403 && API.errorCode(refused) == "identity_not_configured")
            #expect(try await !Self.isBound("crm-1", application))
            _ = try await API.startSession(client)
        }
    }

    @Test func aSecretReloadedBySIGHUPVerifiesAtOnce() async throws {
        try await TestApplication.inProcess { application, client, _ in
            var configuration = application.configuration
            configuration.identitySecret = Identity.secret
            #expect(application.reload(configuration).isEmpty)
            let accepted = try await Identity.startSession(client, body: try Identity.sessionBody("crm-1"))
            #expect(accepted.status == 201)
        }
    }

    struct Hashes: Codable { var hashes: [String] }
    struct HashRequest: Codable {
        var secret: String
        var externalIDs: [String]

        enum CodingKeys: String, CodingKey {
            case secret
            case externalIDs = "external_ids"
        }
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "HANDOFF_TEST_PYTHON is not set"))
    func hashesMadeByPythonsHMACAreAccepted() async throws {
        let ids = ["crm-4711", "émile@example.com", "a b/c?d=e&f", "用户-42", String(repeating: "z", count: 255)]
        let oracle = try PythonOracle.runJSON(
            script: "identity_hash.py", input: HashRequest(secret: Identity.secret, externalIDs: ids),
            as: Hashes.self)
        try await TestApplication.inProcess(Identity.configure) { application, client, _ in
            for (id, hash) in zip(ids, oracle.hashes) {
                let started = try await Identity.startSession(client, body: try Identity.sessionBody(id, hash: hash))
                #expect(started.status == 201, "\(id)")
                #expect(try await Self.isBound(id, application), "\(id)")
            }
        }
    }
}

extension IdentityTests {
    @Test(
        .enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with selenium (make test sets it)"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "needs chromium-driver"))
    func theWidgetsDataAttributesBindTheVisitorAndKeepTheCampaign() async throws {
        try await TestApplication.live(Identity.configure) { _, client, _ in
            let query =
                "external_id=crm-500&identity_hash=\(Identity.hash("crm-500"))&campaign=spring&utm_source=newsletter"
            let output = try await offPool {
                try PythonOracle.run(
                    script: "identity_widget_check.py", input: Data(),
                    arguments: ["http://127.0.0.1:\(client.port)", TestApplication.apiKey, query, "crm-500"])
            }
            let found = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect((found["contact"] as? [String: Any])?["external_id"] as? String == "crm-500")
            let conversation = try #require((found["conversations"] as? [[String: Any]])?.first)
            #expect(
                conversation["campaign"] as? String == "spring" && conversation["utm_source"] as? String == "newsletter"
            )
            #expect((conversation["page_url"] as? String)?.contains("/demo?external_id=crm-500") == true)
        }
    }
}
