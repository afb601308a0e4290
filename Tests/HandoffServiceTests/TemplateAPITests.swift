import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Templates over HTTP (API.md "Templates"): drafts, every save-time refusal, approval by an
/// admin key only, versions, preview, archive.
@Suite struct TemplateAPITests {
    static let auth = API.agent
    static let admin = Templates.admin
    static let reminder = Templates.reminder

    static func withApp(_ body: (HTTPTestClient) async throws -> Void) async throws {
        try await Templates.withApp { client, _ in try await body(client) }
    }

    static func template(_ response: HTTPTestClient.Response) -> [String: Any] { Templates.template(response) }

    @Test func aTemplateIsADraftUntilAnAdminApprovesItAndVersionsKeepTheApprovedOneServing() async throws {
        try await Self.withApp { client in
            let created = try await client.request("POST", "/v1/templates", headers: Self.auth, body: Self.reminder)
            #expect(created.status == 201)
            let first = Self.template(created)
            let id = try #require(first["id"] as? String)
            #expect(first["state"] as? String == "draft" && first["version"] as? Int == 1)
            #expect(first["encoding"] as? String == "GSM-7" && first["segments"] as? Int == 1)
            #expect(first["fallback_queue"] as? String == "front_desk")

            let retried = try await client.request("POST", "/v1/templates", headers: Self.auth, body: Self.reminder)
            #expect(retried.status == 200 && Self.template(retried)["id"] as? String == id)
            let twin = Self.reminder.replacingOccurrences(of: "create-1", with: "create-2")
            let duplicate = try await client.request("POST", "/v1/templates", headers: Self.auth, body: twin)
            #expect(duplicate.status == 409 && API.errorCode(duplicate) == "template_exists")

            let byAgent = try await client.request("POST", "/v1/templates/\(id)/approve", headers: Self.auth)
            #expect(byAgent.status == 401, "an API key cannot approve")
            let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: Self.admin)
            #expect(approved.status == 200)
            #expect(Self.template(approved)["state"] as? String == "approved")
            #expect((Self.template(approved)["approved_by"] as? String)?.hasPrefix("admin:") == true)
            #expect(Self.template(approved)["approved_at"] is String)

            let changed = try await client.request(
                "PUT", "/v1/templates/\(id)", headers: Self.auth,
                body: #"{"body":"{{brand}}: your visit is {{date}} at {{time}}. Reply C to confirm."}"#)
            #expect(changed.status == 200)
            let second = Self.template(changed)
            #expect(second["version"] as? Int == 2 && second["state"] as? String == "draft")
            #expect(second["approved_version"] as? Int == 1, "version 1 keeps serving")
            #expect((second["replies"] as? [[String: Any]])?.count == 1, "fields left out are kept")

            let drafts = try await client.request("GET", "/v1/templates?state=draft", headers: Self.auth)
            #expect((drafts.json?["templates"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            let approvedList = try await client.request("GET", "/v1/templates?state=approved", headers: Self.auth)
            #expect((approvedList.json?["templates"] as? [[String: Any]])?.isEmpty == true)

            let again = try await client.request("POST", "/v1/templates/\(id)/approve", headers: Self.admin)
            #expect(
                Self.template(again)["version"] as? Int == 2 && Self.template(again)["state"] as? String == "approved")

            let archived = try await client.request("DELETE", "/v1/templates/\(id)", headers: Self.auth)
            #expect(archived.status == 200 && Self.template(archived)["state"] as? String == "archived")
            let late = try await client.request(
                "PUT", "/v1/templates/\(id)", headers: Self.auth, body: #"{"body":"x"}"#)
            #expect(late.status == 409 && API.errorCode(late) == "template_archived")
            let reused = try await client.request("POST", "/v1/templates", headers: Self.auth, body: twin)
            #expect(reused.status == 201, "archiving frees the name")
            let kept = try await client.request("GET", "/v1/templates/\(id)", headers: Self.auth)
            #expect(Self.template(kept)["state"] as? String == "archived", "history keeps it")
            let missing = try await client.request("GET", "/v1/templates/tpl_nope", headers: Self.auth)
            #expect(missing.status == 404)
        }
    }

    @Test(arguments: [
        (#""body":"Hi {{name}}""#, "undeclared_placeholder", "body"),
        (#""body":"Hi","variables":[{"name":"date","type":"date"}]"#, "unused_variable", "body"),
        (#""body":"Hi {{ name""#, "invalid_placeholder", "body"),
        (#""body":"Hi","replies":[{"answers":["STOP"],"outcome":"stopped"}]"#, "reserved_answer", "replies[0].answers"),
        (#""body":"Hi","replies":[{"answers":["Cancel"],"outcome":"x"}]"#, "reserved_answer", "replies[0].answers"),
        (#""body":"Hi","program":"nope""#, "unknown_program", "program"),
        (#""body":"Hi","fallback_queue":"Front Desk""#, "unknown_queue", "fallback_queue"),
        (#""body":"\#(String(repeating: "long words ", count: 60))""#, "too_many_segments", "body"),
        (#""body":"20% off today!","program":"offers""#, "missing_opt_out", "body"),
        (#""body":"Hi","variables":[{"name":"d","type":"weekday"}]"#, "invalid_field", "variables[0].type"),
    ])
    func everySaveTimeRefusalIsA422NamingItsField(fields: String, code: String, field: String) async throws {
        try await Self.withApp { client in
            let program = fields.contains(#""program""#) ? "" : #""program":"reminders","#
            let body = #"{"name":"t1","# + program + fields + "}"
            let response = try await client.request("POST", "/v1/templates", headers: Self.auth, body: body)
            #expect(response.status == 422, "\(response.body)")
            #expect(API.errorCode(response) == code)
            #expect(API.errorField(response) == field)
            let listed = try await client.request("GET", "/v1/templates", headers: Self.auth)
            #expect((listed.json?["templates"] as? [[String: Any]])?.isEmpty == true, "nothing was stored")
        }
    }

    @Test func previewShowsTheTextItsEncodingAndSegments() async throws {
        try await Self.withApp { client in
            let created = try await client.request("POST", "/v1/templates", headers: Self.auth, body: Self.reminder)
            let id = try #require(Self.template(created)["id"] as? String)
            let preview = try await client.request(
                "POST", "/v1/templates/\(id)/preview", headers: Self.auth,
                body: #"{"variables":{"date":"2026-12-11","time":"15:30"}}"#)
            #expect(preview.status == 200)
            let text = "Acme Dental: see you Friday, December 11 at 3:30 PM. Reply C to confirm."
            #expect(preview.json?["body"] as? String == text)
            #expect(preview.json?["encoding"] as? String == "GSM-7")
            #expect(preview.json?["segments"] as? Int == 1 && preview.json?["characters"] as? Int == text.count)
            let spanish = try await client.request(
                "POST", "/v1/templates/\(id)/preview", headers: Self.auth,
                body: #"{"variables":{"date":"2026-12-12","time":"15:30"},"locale":"es"}"#)
            #expect(
                spanish.json?["body"] as? String
                    == "Acme Dental: see you sábado 12 de diciembre at 15:30. Reply C to confirm.")
            #expect(spanish.json?["encoding"] as? String == "UCS-2", "GSM-7 has é but no á: sábado is UCS-2")
            let missing = try await client.request(
                "POST", "/v1/templates/\(id)/preview", headers: Self.auth, body: #"{"variables":{"date":"2026-12-11"}}"#
            )
            #expect(missing.status == 422 && API.errorCode(missing) == "missing_variable")
            #expect(API.errorField(missing) == "variables.time")
            let invalid = try await client.request(
                "POST", "/v1/templates/\(id)/preview", headers: Self.auth,
                body: #"{"variables":{"date":"11/12/2026","time":"15:30"}}"#)
            #expect(invalid.status == 422 && API.errorCode(invalid) == "invalid_variable")
        }
    }
}
