import DatabaseDriver
import Foundation
import HandoffCore
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Quiet hours against a fixed clock: proactive texts wait, replies and our own texts do not.
@Suite struct QuietHoursPolicyTests {
    let directory: TemporaryDirectory
    let database: SQLiteDatabase
    let policy = QuietHoursPolicy(window: .federalUS, replyWindowMilliseconds: 24 * 3_600_000)

    init() async throws {
        directory = try TemporaryDirectory()
        database = try SQLiteDatabase(path: directory.file("db.sqlite").path, readers: 1)
        let migrator = try Migrator(
            directory: TestApplication.repositoryRoot.appendingPathComponent("migrations").path)
        try await database.withWriter { try migrator.migrate($0) }
    }

    /// Unix ms of a UTC wall-clock time on 2026-11-23.
    static func utc(_ hour: Int, _ minute: Int = 0) -> Int64 {
        Int64(1_795_392_000 + hour * 3600 + minute * 60) * 1000
    }

    /// A conversation with an outbound text; returns the message.
    func scenario(
        timeZone: String?, author: Author = .agent, inboundAt: Int64? = nil, phone: String = "+14155552671"
    ) async throws -> MessageRecord {
        try await database.write { connection in
            let chat = ChatRepository(connection)
            try chat.insert(
                ContactRecord(id: "ct", phoneE164: "+14155552671", locale: nil, timeZone: timeZone, createdAt: 0))
            _ = try chat.insert(
                ConversationRecord(id: "conv", contactID: "ct", state: .open, createdAt: 0, updatedAt: 0))
            if let inboundAt {
                _ = try chat.insert(
                    MessageRecord(
                        id: "in", conversationID: "conv", direction: .inbound, channel: .sms, author: .visitor,
                        body: "hi", status: "received", createdAt: inboundAt, updatedAt: inboundAt),
                    clientKey: nil)
            }
            return try chat.insert(
                MessageRecord(
                    id: "out", conversationID: "conv", direction: .outbound, channel: .sms, author: author,
                    body: "Reminder", status: "queued", toE164: phone, createdAt: 0, updatedAt: 0),
                clientKey: nil)
        }
    }

    func deferral(
        _ message: MessageRecord, at now: Int64, policy: QuietHoursPolicy? = nil, marketing: Bool = false
    ) async throws -> Int64? {
        let policy = policy ?? self.policy
        return try await database.read {
            try policy.deferral(for: message, marketing: marketing, connection: $0, now: now)
        }
    }

    @Test func capsProactiveTextsPerDay() async throws {
        let message = try await scenario(timeZone: "America/New_York")
        let sentAt = [Self.utc(15), Self.utc(16)]
        try await database.write { connection in
            for (index, at) in sentAt.enumerated() {
                _ = try ChatRepository(connection).insert(
                    MessageRecord(
                        id: "old\(index)", conversationID: "conv", direction: .outbound, channel: .sms, author: .bot,
                        body: "Earlier", status: "delivered", toE164: "+14155552671", createdAt: at, updatedAt: at),
                    clientKey: nil)
                let outbox = OutboxRepository(connection)
                let id = try outbox.enqueue(
                    kind: .sms, payload: "{}", messageID: "old\(index)", priority: 1, requestID: nil, now: at)
                #expect(try outbox.claim(id: id, node: "test", leaseUntil: at + 30_000, now: at))
                #expect(try outbox.markDone(id: id, claim: OutboxClaim(node: "test", attempt: 1), now: at))
            }
        }
        var capped = policy
        capped.proactivePerDay = 2
        // Two proactive texts since 15:00 UTC: the next waits until 24 h after the first.
        #expect(try await deferral(message, at: Self.utc(18), policy: capped) == Self.utc(15 + 24))
        capped.proactivePerDay = 3
        #expect(try await deferral(message, at: Self.utc(18), policy: capped) == nil)
    }

    @Test func appliesStateWindowsAndQuietDays() async throws {
        let florida = try await scenario(timeZone: nil, phone: "+13055550123")
        var strict = policy
        strict.windowsByRegion = ["US-FL": QuietHours(start: 8 * 60, end: 20 * 60)]
        // 01:30 UTC Tuesday is 20:30 Monday in Miami: past Florida's 20:00, wait until 08:00.
        let mondayEvening = Self.utc(25, 30)
        #expect(try await deferral(florida, at: mondayEvening) == nil, "the federal window still allows 20:30")
        #expect(try await deferral(florida, at: mondayEvening, policy: strict) == Self.utc(13 + 24))
        var sundays = policy
        sundays.quietDays = [2]
        // Tuesday (day 2) in Miami all day: wait until Wednesday 08:00 local, 13:00 UTC Wednesday.
        #expect(try await deferral(florida, at: Self.utc(15 + 24), policy: sundays) == Self.utc(13 + 48))
    }

    @Test func marketingTextsHonourTheStateWindowsByDefault() async throws {
        let florida = try await scenario(timeZone: nil, phone: "+13055550123")
        // 01:30 UTC Tuesday is 20:30 Monday in Miami: past Florida's 20:00 for marketing only.
        let mondayEvening = Self.utc(25, 30)
        #expect(try await deferral(florida, at: mondayEvening, marketing: true) == Self.utc(13 + 24), "08:00 Tuesday")
        #expect(try await deferral(florida, at: mondayEvening) == nil, "a transactional text still goes at 20:30")
    }

    @Test func marketingTextsToKentuckyWaitUntil10() async throws {
        // Louisville (502, Eastern): 14:30 UTC is 09:30, before Kentucky's 10:00.
        let kentucky = try await scenario(timeZone: nil, phone: "+15025550123")
        #expect(try await deferral(kentucky, at: Self.utc(14, 30), marketing: true) == Self.utc(15))
        #expect(try await deferral(kentucky, at: Self.utc(14, 30)) == nil)
    }

    @Test func aStricterConfiguredWindowWinsOverTheStateOne() async throws {
        let florida = try await scenario(timeZone: nil, phone: "+13055550123")
        var strict = policy
        strict.windowsByRegion = ["US-FL": QuietHours(start: 9 * 60, end: 21 * 60)]
        // 13:30 UTC is 08:30 in Miami: the configured 09:00 is later than the state's 08:00.
        #expect(try await deferral(florida, at: Self.utc(13, 30), policy: strict, marketing: true) == Self.utc(14))
        // 20:30 is inside the configured window but past the state's 20:00: the narrower decides.
        #expect(
            try await deferral(florida, at: Self.utc(25, 30), policy: strict, marketing: true) == Self.utc(14 + 24))
    }

    @Test func defersProactiveTextsToTheMorningInTheReportedZone() async throws {
        let message = try await scenario(timeZone: "America/New_York")
        // 08:30 UTC is 03:30 in New York (EST, UTC-5): wait until 08:00 there, 13:00 UTC.
        #expect(try await deferral(message, at: Self.utc(8, 30)) == Self.utc(13))
        #expect(try await deferral(message, at: Self.utc(15)) == nil, "10:00 in New York")
    }

    @Test func usesTheAreaCodesZoneWhenOnlyTheNumberIsKnown() async throws {
        let message = try await scenario(timeZone: nil)
        // +1 415 is San Francisco: 14:00 UTC is 06:00 there; wait until 08:00, 16:00 UTC.
        #expect(try await deferral(message, at: Self.utc(14)) == Self.utc(16))
        #expect(try await deferral(message, at: Self.utc(17)) == nil, "09:00 in San Francisco")
    }

    @Test func neverDefersRepliesOrOurOwnTexts() async throws {
        let reply = try await scenario(timeZone: "America/New_York", inboundAt: Self.utc(7))
        #expect(try await deferral(reply, at: Self.utc(8, 30)) == nil, "the customer wrote 90 minutes ago")
    }

    @Test func neverDefersTransactionalTexts() async throws {
        let code = try await scenario(timeZone: "America/New_York", author: .system)
        #expect(try await deferral(code, at: Self.utc(8, 30)) == nil)
    }
}
