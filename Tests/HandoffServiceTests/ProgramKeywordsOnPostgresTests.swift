import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Program keywords, replies that act, the local-day cap and canceling a deferred text, on
/// PostgreSQL (`HANDOFF_DATABASE` a postgresql:// URI): the same queries as on SQLite.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct ProgramKeywordsOnPostgresTests {
    @Test func keywordsRepliesAndTheLocalDayCapRunOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await ProgramKeywords.withApp({ $0.databasePath = scratch.uri }) { application, client, simulator in
                let phone = "+14155550331"
                #expect(try await ProgramKeywords.text("Remind", from: phone, simulator)?.contains("reply YES") == true)
                _ = try await ProgramKeywords.text("YES", from: phone, simulator)
                #expect(
                    try await ProgramKeywords.states(phone, program: "reminders", client)
                        == ["pending/sms_keyword", "active/sms_keyword"])

                try await ProgramKeywords.approveReminder(client)
                let outbound = try await ProgramKeywords.remind(phone, client, simulator)
                let conversation = try #require(outbound["conversation_id"] as? String)
                _ = try await simulator.reply(from: phone, to: API.sender, body: "c")
                #expect(try await eventually { simulator.inbox(of: phone).last?.body.hasPrefix("Thanks") == true })
                let matched = try await application.database.read { connection in
                    try connection.query(
                        "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'reply.matched'",
                        [.text(conversation)]
                    ).count
                }
                #expect(matched == 1)

                // Two a day on the recipient's day: day D in Pacific time is full, D+1 is not.
                let day = ProgramKeywords.localMidnight(in: "America/Los_Angeles", daysAhead: 3)
                let nextDay = ProgramKeywords.localMidnight(in: "America/Los_Angeles", daysAhead: 4)
                let at = ProgramKeywords.time
                for (sendAt, status) in [
                    (at(day, 60), 202), (at(day, 120), 202), (at(nextDay, -60), 429), (at(nextDay, 0), 202),
                ] {
                    let response = try await client.request(
                        "POST", "/v1/outbound", headers: API.agent,
                        body: ProgramKeywords.reminderRequest(phone, sendAt: sendAt))
                    #expect(response.status == status, "\(sendAt)")
                }
            }
        }
    }

    @Test func aDeferredTextIsCanceledOnPostgres() async throws {
        var pacific = Calendar(identifier: .gregorian)
        pacific.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        let local = pacific.dateComponents([.hour, .minute], from: Date())
        let start = ((local.hour ?? 0) * 60 + (local.minute ?? 0) + 720) % 1440
        try await ScratchDatabase.with { scratch in
            try await ProgramKeywords.withApp({
                $0.databasePath = scratch.uri
                $0.quietHours = QuietHours(start: start, end: start + 1)
            }) { _, client, simulator in
                try await ProgramKeywords.approveReminder(client)
                let phone = "+14155550332"
                try await ProgramKeywords.optIn([phone], client)
                let accepted = try await client.request(
                    "POST", "/v1/outbound", headers: API.agent, body: ProgramKeywords.reminderRequest(phone))
                let id = try #require((accepted.json?["outbound"] as? [String: Any])?["id"] as? String)
                func state() async throws -> String? {
                    let response = try await client.request("GET", "/v1/outbound/\(id)", headers: API.agent)
                    return (response.json?["outbound"] as? [String: Any])?["state"] as? String
                }
                #expect(try await eventually { try await state() == "deferred" })
                let canceled = try await client.request("DELETE", "/v1/outbound/\(id)", headers: API.agent)
                #expect(canceled.status == 200)
                #expect(try await state() == "canceled")
                try await Task.sleep(for: .milliseconds(300))
                #expect(simulator.inbox(of: phone).isEmpty)
            }
        }
    }
}
