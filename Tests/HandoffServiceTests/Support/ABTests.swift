import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// Two A/B tests of templates run through the API, for the by-variant report and the reports
/// page: 84 contacts opted in and texted, each arm converting at its own rate.
enum ABTests {
    /// Three variants of `ab_reminder` (control `a`) and two of `ab_followup`, whose `a` is another arm.
    static let templates = [
        ("ab_reminder", ["a", "b", "c"]),
        ("ab_followup", ["a", "z"]),
    ]

    /// The approved template `name` of the reminders program with `variants` (weight 1 each); its id.
    static func createApproved(_ name: String, variants: [String], _ client: HTTPTestClient) async throws -> String {
        let variantList = variants.map { #"{"id":"\#($0)","body":"{{brand}}: hello (\#($0)).","weight":1}"# }
        let created = try await client.request(
            "POST", "/v1/templates", headers: API.agent,
            body: """
                {"name":"\(name)","program":"reminders","locale":"en","body":"{{brand}}: hello.",
                 "variants":[\(variantList.joined(separator: ","))]}
                """)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(Templates.template(created)["id"] as? String)
        let approved = try await client.request("POST", "/v1/templates/\(id)/approve", headers: Templates.admin)
        #expect(approved.status == 200, "\(approved.body)")
        return id
    }

    /// A text of `template` to `phone` (opted in to reminders); its `outbound`.
    static func text(_ template: String, to phone: String, _ client: HTTPTestClient) async throws -> [String: Any] {
        let sent = try await client.request(
            "POST", "/v1/outbound", headers: API.agent,
            body: #"{"to":"\#(phone)","program":"reminders","template":"\#(template)"}"#)
        #expect(sent.status == 202, "\(sent.body)")
        return try #require(sent.json?["outbound"] as? [String: Any])
    }

    /// One arm of a test: a template's variant.
    struct Arm: Hashable {
        var template: String
        var variant: String
    }

    /// The arms of an A/B test and how each did: conversations and those converted.
    struct Arms {
        var trials: [Arm: Int] = [:]
        var conversions: [Arm: Int] = [:]
    }

    /// Creates both templates, opts 84 contacts in and texts each twice (checking that the same
    /// contact keeps its variant, recorded on the text and the conversation), and records an
    /// outcome on some of their conversations; returns the arms as sent.
    static func send(_ client: HTTPTestClient) async throws -> Arms {
        var templateIDs: [String: String] = [:]
        for (name, variants) in templates {
            templateIDs[name] = try await createApproved(name, variants: variants, client)
        }
        var arms = Arms()
        // 60 contacts on the first template, 24 on the second; arm i converts every (i + 2)th
        // of its contacts, so the arms' conversion differs.
        for index in 0..<84 {
            let phone = "+1415555\(2000 + index)"
            let (name, variants) = index < 60 ? templates[0] : templates[1]
            let templateID = try #require(templateIDs[name])
            let optedIn = try await client.request(
                "POST", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents",
                headers: API.agent, body: Templates.paperOptIn())
            #expect(optedIn.status == 201, "\(optedIn.body)")
            let first = try await text(name, to: phone, client)
            let variant = try #require(first["variant"] as? String)
            let conversation = try #require(first["conversation_id"] as? String)
            // The same contact gets the same variant again, on the same conversation; the
            // text and the conversation both record it.
            let again = try await text(name, to: phone, client)
            #expect(again["variant"] as? String == variant && again["conversation_id"] as? String == conversation)
            let stored = try await client.request(
                "GET", "/v1/outbound/\(try #require(again["id"] as? String))", headers: API.agent)
            #expect((stored.json?["outbound"] as? [String: Any])?["variant"] as? String == variant)
            let thread = try await client.request("GET", "/v1/conversations/\(conversation)", headers: API.agent)
            let origin = thread.json?["proactive"] as? [String: Any]
            #expect(origin?["variant"] as? String == variant && origin?["template_id"] as? String == templateID)
            #expect(
                origin?["outbound_id"] as? String == first["id"] as? String
                    && origin?["program"] as? String == "reminders")

            let arm = Arm(template: templateID, variant: variant)
            let ordinal = arms.trials[arm, default: 0]
            arms.trials[arm] = ordinal + 1
            let armIndex = try #require(variants.firstIndex(of: variant))
            if ordinal % (armIndex + 2) == 0 {
                let recorded = try await client.request(
                    "POST", "/v1/conversations/\(conversation)/outcomes", headers: API.agent,
                    body: #"{"type":"booked"}"#)
                #expect(recorded.status == 201, "\(recorded.body)")
                arms.conversions[arm, default: 0] += 1
            }
        }
        // Every arm was drawn (FNV-1a over 84 contacts).
        #expect(arms.trials.count == 5, "\(arms.trials)")
        return arms
    }
}
