import Foundation
import GatewaySimulator
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Proactive texts over HTTP (API.md "Proactive texts"): every refusal before anything is
/// queued, the text in the contact's conversation and on the phone, batches with mixed results.
@Suite struct OutboundAPITests {
    static let auth = API.agent
    static let reminder = """
        {"name":"visit_reminder","program":"reminders","locale":"en",
         "body":"{{brand}}: see you {{date}} at {{time}}. Reply C to confirm.",
         "variables":[{"name":"date","type":"date"},{"name":"time","type":"time"}],
         "replies":[{"answers":["C"],"outcome":"confirmed"}]}
        """

    /// An app with an approved reminder template (capped at 2 a day) and `optedIn` numbers
    /// opted in to reminders on paper.
    static func withApp(
        optedIn: [String], _ body: (HTTPTestClient, GatewaySimulator, String) async throws -> Void
    ) async throws {
        try await Templates.withApp { client, simulator in
            let created = try await client.request("POST", "/v1/templates", headers: Self.auth, body: Self.reminder)
            let id = try #require(Templates.template(created)["id"] as? String)
            let approved = try await client.request(
                "POST", "/v1/templates/\(id)/approve", headers: Templates.admin)
            #expect(approved.status == 200)
            for phone in optedIn {
                let recorded = try await client.request(
                    "POST", "/v1/contacts/\(phone.replacingOccurrences(of: "+", with: "%2B"))/consents",
                    headers: Self.auth, body: Templates.paperOptIn())
                #expect(recorded.status == 201)
            }
            try await body(client, simulator, id)
        }
    }

    static func send(_ to: String, _ extra: String = "", template: String = "visit_reminder") -> String {
        #"{"to":"\#(to)","program":"reminders","template":"\#(template)","variables":{"date":"2026-12-11","time":"10:00"}\#(extra)}"#
    }

    @Test func aReminderReachesThePhoneInTheContactsConversation() async throws {
        try await Self.withApp(optedIn: ["+14155550180"]) { client, simulator, _ in
            let accepted = try await client.request(
                "POST", "/v1/outbound", headers: Self.auth, body: Self.send("+14155550180", #","client_id":"r-1""#))
            #expect(accepted.status == 202)
            let outbound = try #require(accepted.json?["outbound"] as? [String: Any])
            #expect(outbound["state"] as? String == "queued" && outbound["to_masked"] as? String == "+1******0180")
            #expect(outbound["template_version"] as? Int == 1)
            let id = try #require(outbound["id"] as? String)
            let retried = try await client.request(
                "POST", "/v1/outbound", headers: Self.auth, body: Self.send("+14155550180", #","client_id":"r-1""#))
            #expect(retried.status == 200 && (retried.json?["outbound"] as? [String: Any])?["id"] as? String == id)

            let text = "Acme Dental: see you Friday, December 11 at 10:00 AM. Reply C to confirm."
            #expect(try await eventually { simulator.inbox(of: "+14155550180").map(\.body) == [text] })
            #expect(
                try await eventually {
                    let state = try await client.request("GET", "/v1/outbound/\(id)", headers: Self.auth)
                    return ["sent", "delivered"].contains(
                        (state.json?["outbound"] as? [String: Any])?["state"] as? String)
                })
            let conversation = try #require(outbound["conversation_id"] as? String)
            let history = try await client.request(
                "GET", "/v1/conversations/\(conversation)/messages", headers: Self.auth)
            let messages = try #require(history.json?["messages"] as? [[String: Any]])
            #expect(messages.map { $0["body"] as? String } == [text])
            #expect(messages.first?["channel"] as? String == "sms" && messages.first?["author"] as? String == "bot")
        }
    }

    @Test func everyRefusalQueuesNothing() async throws {
        try await Self.withApp(optedIn: ["+14155550181", "+14155550183"]) { client, simulator, _ in
            func refusal(_ body: String) async throws -> (Int, String?, String?) {
                let response = try await client.request("POST", "/v1/outbound", headers: Self.auth, body: body)
                return (
                    response.status, API.errorCode(response), API.errorField(response)
                )
            }
            let draft = try await client.request(
                "POST", "/v1/templates", headers: Self.auth,
                body: Self.reminder.replacingOccurrences(of: "visit_reminder", with: "draft_only"))
            #expect(draft.status == 201)
            #expect(
                try await refusal(Self.send("+14155550181", template: "draft_only")) == (
                    422, "template_not_approved", "template"
                ))
            #expect(
                try await refusal(
                    #"{"to":"+14155550181","program":"reminders","template":"visit_reminder","variables":{"date":"2026-12-11"}}"#
                )
                    == (422, "missing_variable", "variables.time"))
            #expect(
                try await refusal(
                    #"{"to":"+14155550181","program":"reminders","template":"visit_reminder","variables":{"date":"Friday","time":"10:00"}}"#
                )
                    == (422, "invalid_variable", "variables.date"))
            #expect(try await refusal(Self.send("+14155550182")) == (409, "no_consent", nil))
            let stop = try await client.request(
                "POST", "/v1/admin/suppressions", headers: Templates.admin,
                body: #"{"phone":"+14155550183","reason":"stop_keyword"}"#)
            #expect(stop.status == 201)
            #expect(try await refusal(Self.send("+14155550183")) == (409, "suppressed", nil))
            // More than 90 days ahead whenever the test runs (a fixed date would stop being so).
            let tooFar = Self.fromNow(91 * 86_400)
            #expect(try await refusal(Self.send("+14155550181", #","send_at":"\#(tooFar)""#)).1 == "invalid_field")
            #expect(simulator.inbox(of: "+14155550181").isEmpty && simulator.inbox(of: "+14155550183").isEmpty)

            for _ in 0..<2 {
                let sent = try await client.request(
                    "POST", "/v1/outbound", headers: Self.auth, body: Self.send("+14155550181"))
                #expect(sent.status == 202)
            }
            let capped = try await client.request(
                "POST", "/v1/outbound", headers: Self.auth, body: Self.send("+14155550181"))
            #expect(capped.status == 429 && API.errorCode(capped) == "frequency_cap")
            let wait = Int(capped.header("Retry-After") ?? "") ?? 0
            // The cap frees at the next midnight of the number's zone (415: Pacific), not 24 hours on.
            var pacific = Calendar(identifier: .gregorian)
            pacific.timeZone = TimeZone(identifier: "America/Los_Angeles")!
            let midnight = pacific.startOfDay(for: pacific.date(byAdding: .day, value: 1, to: Date())!)
            let untilMidnight = Int(midnight.timeIntervalSinceNow.rounded(.up))
            #expect(
                abs(wait - untilMidnight) <= 5, "the cap frees at local midnight: \(wait) s, not \(untilMidnight) s")
            #expect(try await eventually { simulator.inbox(of: "+14155550181").count == 2 })
        }
    }

    /// RFC 3339 for `seconds` from now.
    static func fromNow(_ seconds: Double) -> String {
        Timestamp(unixMilliseconds: Int64((Date().timeIntervalSince1970 + seconds) * 1000)).description
    }

    @Test func scheduledTextsLeaveOnTimeCanBeCanceledAndStopWinsOverThem() async throws {
        try await Self.withApp(optedIn: ["+14155550185", "+14155550186", "+14155550187"]) { client, simulator, _ in
            func schedule(_ to: String, in seconds: Double) async throws -> String {
                let response = try await client.request(
                    "POST", "/v1/outbound", headers: Self.auth,
                    body: Self.send(to, #","send_at":"\#(Self.fromNow(seconds))""#))
                #expect(response.status == 202)
                let outbound = try #require(response.json?["outbound"] as? [String: Any])
                #expect(outbound["state"] as? String == "scheduled" && outbound["message_id"] == nil)
                return try #require(outbound["id"] as? String)
            }
            func state(_ id: String) async throws -> String? {
                let response = try await client.request("GET", "/v1/outbound/\(id)", headers: Self.auth)
                return (response.json?["outbound"] as? [String: Any])?["state"] as? String
            }
            let onTime = try await schedule("+14155550185", in: 1.5)
            let canceled = try await schedule("+14155550186", in: 1.5)
            let stopped = try await schedule("+14155550187", in: 1.5)
            let cancel = try await client.request("DELETE", "/v1/outbound/\(canceled)", headers: Self.auth)
            #expect(
                cancel.status == 200 && (cancel.json?["outbound"] as? [String: Any])?["state"] as? String == "canceled")
            let stop = try await client.request(
                "POST", "/v1/admin/suppressions", headers: Templates.admin,
                body: #"{"phone":"+14155550187","reason":"stop_keyword"}"#)
            #expect(stop.status == 201)
            #expect(simulator.inbox(of: "+14155550185").isEmpty, "not before its time")

            #expect(try await eventually { simulator.inbox(of: "+14155550185").count == 1 })
            #expect(try await eventually { try await state(stopped) == "suppressed" })
            #expect(try await state(canceled) == "canceled")
            let late = try await client.request("DELETE", "/v1/outbound/\(onTime)", headers: Self.auth)
            #expect(late.status == 409 && API.errorCode(late) == "already_sent")
            #expect(simulator.inbox(of: "+14155550186").isEmpty && simulator.inbox(of: "+14155550187").isEmpty)
        }
    }

    @Test func aBatchAnswersEachRecipient() async throws {
        try await Self.withApp(optedIn: ["+14155550190", "+14155550191"]) { client, simulator, _ in
            let batch = """
                {"program":"reminders","template":"visit_reminder","campaign":"december","recipients":[
                  {"to":"+14155550190","variables":{"date":"2026-12-11","time":"10:00"}},
                  {"to":"+14155550192","variables":{"date":"2026-12-11","time":"10:00"}},
                  {"to":"+14155550191","variables":{"date":"2026-12-11"}},
                  {"to":"not a number","variables":{"date":"2026-12-11","time":"10:00"}},
                  {"to":"+14155550191","variables":{"date":"2026-12-12","time":"09:30"}}]}
                """
            let response = try await client.request("POST", "/v1/outbound/batch", headers: Self.auth, body: batch)
            #expect(response.status == 200)
            let results = try #require(response.json?["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["index"] as? Int } == [0, 1, 2, 3, 4])
            let codes = results.map { ($0["error"] as? [String: Any])?["code"] as? String }
            #expect(codes[0] == nil && codes[1] == "no_consent" && codes[2] == "missing_variable" && codes[4] == nil)
            #expect(codes[3] != nil)
            #expect((results[0]["outbound"] as? [String: Any])?["campaign"] as? String == "december")
            #expect(try await eventually { simulator.inbox(of: "+14155550191").count == 1 })
            #expect(simulator.inbox(of: "+14155550192").isEmpty)
        }
    }
}
