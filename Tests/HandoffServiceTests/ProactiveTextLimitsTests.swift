import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// A program's daily cap counts the recipient's local day (API.md: "per number per local day"),
/// in the zone quiet hours use; a text waiting for quiet hours to end can still be canceled.
@Suite struct ProactiveTextLimitsTests {
    /// Schedules the reminder to `phone` at `sendAt`; the status and the error code.
    static func schedule(_ phone: String, at sendAt: String, _ client: HTTPTestClient) async throws -> (
        Int, String?, retryAfter: Int?
    ) {
        let response = try await client.request(
            "POST", "/v1/outbound", headers: API.agent, body: ProgramKeywords.reminderRequest(phone, sendAt: sendAt))
        return (response.status, API.errorCode(response), response.header("Retry-After").flatMap { Int($0) })
    }

    @Test func theCapCountsTheRecipientsLocalDay() async throws {
        try await ProgramKeywords.withApp { application, client, _ in
            try await ProgramKeywords.approveReminder(client)
            let pacific = "+14155550321"
            let tokyo = "+14155550322"
            try await ProgramKeywords.optIn([pacific, tokyo], client)

            // 415 is Pacific time; reminders allow two a day. Day D is three days ahead there.
            let day = ProgramKeywords.localMidnight(in: "America/Los_Angeles", daysAhead: 3)
            let nextDay = ProgramKeywords.localMidnight(in: "America/Los_Angeles", daysAhead: 4)
            let at = ProgramKeywords.time
            #expect(try await Self.schedule(pacific, at: at(day, -30), client).0 == 202, "D-1, 23:30")
            #expect(try await Self.schedule(pacific, at: at(day, 60), client).0 == 202, "D, 01:00")
            #expect(
                try await Self.schedule(pacific, at: at(day, 30), client).0 == 202,
                "D, 00:30: a third text within 24 hours, but the second of its local day")
            let capped = try await Self.schedule(pacific, at: at(nextDay, -60), client)
            #expect(capped.0 == 429 && capped.1 == "frequency_cap", "D, 23:00: the third of D")
            let expected = Int((nextDay - Int64(Date().timeIntervalSince1970 * 1000)) / 1000)
            #expect(abs((capped.retryAfter ?? 0) - expected) <= 5, "free again at the local midnight")
            #expect(try await Self.schedule(pacific, at: at(nextDay, 0), client).0 == 202, "D+1, 00:00")

            // The zone the widget reported wins over the number's (Tokyo, UTC+9): these five times
            // are one Pacific day, but two Tokyo days.
            let tokyoDay = ProgramKeywords.localMidnight(in: "Asia/Tokyo", daysAhead: 3)
            #expect(try await Self.schedule(tokyo, at: at(tokyoDay, -30), client).0 == 202, "D-1, 23:30")
            try await application.database.write { connection in
                try connection.execute(
                    "UPDATE contacts SET time_zone = 'Asia/Tokyo' WHERE phone_e164 = ?", [.text(tokyo)])
            }
            #expect(try await Self.schedule(tokyo, at: at(tokyoDay, 30), client).0 == 202, "D, 00:30")
            #expect(try await Self.schedule(tokyo, at: at(tokyoDay, 60), client).0 == 202, "D, 01:00")
            #expect(try await Self.schedule(tokyo, at: at(tokyoDay, -60), client).0 == 202, "D-1, 23:00")
            #expect(try await Self.schedule(tokyo, at: at(tokyoDay, -120), client).1 == "frequency_cap")
        }
    }

    @Test func aLocalDayFollowsTheZoneAndItsClockChanges() throws {
        func milliseconds(_ text: String) throws -> Int64 { try #require(Timestamp(parsing: text)).unixMilliseconds }
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        let chicago = try #require(TimeZone(identifier: "America/Chicago"))
        // 2026-11-01, when the clocks went back: a 25-hour day.
        let fallBack = DailyCap.days(containing: try milliseconds("2026-11-01T12:00:00Z"), zones: [newYork])
        #expect(fallBack == [try milliseconds("2026-11-01T04:00:00Z")..<milliseconds("2026-11-02T05:00:00Z")])
        // An area code in two zones: the day of each; no zone at all: the UTC day.
        let both = DailyCap.days(containing: try milliseconds("2026-12-10T05:30:00Z"), zones: [newYork, chicago])
        #expect(
            both == [
                try milliseconds("2026-12-10T05:00:00Z")..<milliseconds("2026-12-11T05:00:00Z"),
                try milliseconds("2026-12-09T06:00:00Z")..<milliseconds("2026-12-10T06:00:00Z"),
            ])
        #expect(
            DailyCap.days(containing: try milliseconds("2026-12-10T05:30:00Z"), zones: [])
                == [try milliseconds("2026-12-10T00:00:00Z")..<milliseconds("2026-12-11T00:00:00Z")])
    }

    @Test func aTextDeferredByQuietHoursCanBeCanceledUntilItLeaves() async throws {
        // A one-minute window twelve hours away in the recipient's zone: the text waits.
        var pacific = Calendar(identifier: .gregorian)
        pacific.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        let local = pacific.dateComponents([.hour, .minute], from: Date())
        let start = ((local.hour ?? 0) * 60 + (local.minute ?? 0) + 720) % 1440
        try await ProgramKeywords.withApp({ $0.quietHours = QuietHours(start: start, end: start + 1) }) {
            application, client, simulator in
            try await ProgramKeywords.approveReminder(client)
            let phone = "+14155550323"
            try await ProgramKeywords.optIn([phone], client)
            let accepted = try await client.request(
                "POST", "/v1/outbound", headers: API.agent, body: ProgramKeywords.reminderRequest(phone))
            #expect(accepted.status == 202)
            let id = try #require((accepted.json?["outbound"] as? [String: Any])?["id"] as? String)
            func state() async throws -> String? {
                let response = try await client.request("GET", "/v1/outbound/\(id)", headers: API.agent)
                return (response.json?["outbound"] as? [String: Any])?["state"] as? String
            }
            #expect(try await eventually { try await state() == "deferred" })

            let canceled = try await client.request("DELETE", "/v1/outbound/\(id)", headers: API.agent)
            #expect(canceled.status == 200)
            let outbound = try #require(canceled.json?["outbound"] as? [String: Any])
            #expect(outbound["state"] as? String == "canceled")
            #expect(try await state() == "canceled")
            let again = try await client.request("DELETE", "/v1/outbound/\(id)", headers: API.agent)
            #expect(again.status == 200, "canceling twice is canceling")

            let conversation = try #require(outbound["conversation_id"] as? String)
            let history = try await client.request(
                "GET", "/v1/conversations/\(conversation)/messages", headers: API.agent)
            let statuses = (history.json?["messages"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
            #expect(statuses == ["canceled"], "the agent sees it was withdrawn")
            let outbox = try await application.database.read { connection in
                try connection.query("SELECT state FROM outbox WHERE kind = 'sms'").map {
                    try $0.get("state", as: String.self)
                }
            }
            #expect(outbox == ["discarded"], "nothing left to send")
            try await Task.sleep(for: .milliseconds(300))
            #expect(simulator.inbox(of: phone).isEmpty)
        }
    }
}
