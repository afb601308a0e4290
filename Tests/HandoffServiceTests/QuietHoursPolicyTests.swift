import Foundation
import HandoffCore
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Quiet hours against a fixed clock: proactive texts wait, replies and our own texts do not.
@Suite struct QuietHoursPolicyTests {
    let directory: TemporaryDirectory
    let database: Database
    let policy = QuietHoursPolicy(window: .federalUS, replyWindowMilliseconds: 24 * 3_600_000)

    init() async throws {
        directory = try TemporaryDirectory()
        database = try Database(path: directory.file("db.sqlite").path, readers: 1)
        let migrator = try Migrator(
            directory: HandoffApplicationTests.repositoryRoot.appendingPathComponent("migrations").path)
        try await database.withWriter { try migrator.migrate($0) }
    }

    /// Unix ms of a UTC wall-clock time on 2026-11-23.
    static func utc(_ hour: Int, _ minute: Int = 0) -> Int64 {
        Int64(1_795_392_000 + hour * 3600 + minute * 60) * 1000
    }

    /// A conversation with an outbound text; returns the message.
    func scenario(timeZone: String?, author: String = "agent", inboundAt: Int64? = nil) async throws -> MessageRecord {
        try await database.write { connection in
            let chat = ChatRepository(connection)
            try chat.insert(
                ContactRecord(id: "ct", phoneE164: "+14155552671", locale: nil, timeZone: timeZone, createdAt: 0))
            _ = try chat.insert(
                ConversationRecord(id: "conv", contactID: "ct", state: "open", createdAt: 0, updatedAt: 0))
            if let inboundAt {
                _ = try chat.insert(
                    MessageRecord(
                        id: "in", conversationID: "conv", direction: "inbound", channel: "sms", author: "visitor",
                        body: "hi", status: "received", createdAt: inboundAt, updatedAt: inboundAt),
                    clientKey: nil)
            }
            return try chat.insert(
                MessageRecord(
                    id: "out", conversationID: "conv", direction: "outbound", channel: "sms", author: author,
                    body: "Reminder", status: "queued", toE164: "+14155552671", createdAt: 0, updatedAt: 0),
                clientKey: nil)
        }
    }

    func deferral(_ message: MessageRecord, at now: Int64) async throws -> Int64? {
        try await database.read { try policy.deferral(for: message, connection: $0, now: now) }
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
        let code = try await scenario(timeZone: "America/New_York", author: "system")
        #expect(try await deferral(code, at: Self.utc(8, 30)) == nil)
    }
}
