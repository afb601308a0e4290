import DatabaseDriver
import Foundation
import SQLite
import Storage
import TestSupport
import Testing

/// The hot paths read through indexes, never a full table scan, so their cost stays flat as the
/// tables grow. SQLite counts the rows each statement stepped through in full scans
/// (`SQLiteConnection.fullScanSteps`); none may step through more than a page's worth.
@Suite(Backend.sqliteOnly("SQLite's own full-scan counter"))
struct QueryPlanTests {
    static let conversations = 2_000

    /// A migrated database with `conversations` contacts, sessions and conversations, five
    /// messages and events each, an outbox, suppressions and consents.
    static func populated(_ directory: TemporaryDirectory) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: directory.file("scale.sqlite").path)
        let migrator = try Migrator(
            directory: TestApplication.repositoryRoot.appendingPathComponent("migrations").path)
        _ = try migrator.migrate(connection)
        try connection.transaction {
            for index in 0..<conversations {
                let phone = "+1415\(String(format: "%07d", index))"
                try connection.execute(
                    "INSERT INTO contacts (id, phone_e164, created_at) VALUES (?, ?, ?)",
                    [.text("ct\(index)"), .text(phone), .int(index)])
                try connection.execute(
                    """
                    INSERT INTO sessions (id, token_hash, contact_id, created_at, last_seen_at, expires_at)
                    VALUES (?, ?, ?, 0, 0, 9999999999999)
                    """,
                    [.text("ses\(index)"), .blob(Array("token\(index)".utf8)), .text("ct\(index)")])
                try connection.execute(
                    """
                    INSERT INTO conversations (id, contact_id, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                    [
                        .text("conv\(index)"), .text("ct\(index)"), .text(index % 3 == 0 ? "closed" : "open"),
                        .int(index),
                        .int(index),
                    ])
                for turn in 0..<5 {
                    let id = "msg\(index)-\(turn)"
                    try connection.execute(
                        """
                        INSERT INTO messages (id, conversation_id, direction, channel, author, body, status,
                            provider_message_id, to_e164, created_at, updated_at)
                        VALUES (?, ?, ?, 'sms', ?, 'hello', 'delivered', ?, ?, ?, ?)
                        """,
                        [
                            .text(id), .text("conv\(index)"), .text(turn % 2 == 0 ? "inbound" : "outbound"),
                            .text(turn % 2 == 0 ? "visitor" : "agent"), .text("SM\(index)x\(turn)"),
                            .text(phone), .int(index * 10 + turn), .int(index * 10 + turn),
                        ])
                    try connection.execute(
                        """
                        INSERT INTO conversation_events (conversation_id, type, payload, created_at)
                        VALUES (?, 'message', '{}', ?)
                        """, [.text("conv\(index)"), .int(index)])
                    try connection.execute(
                        """
                        INSERT INTO outbox (kind, payload, message_id, lane, state, next_attempt_at, created_at,
                            updated_at, priority)
                        VALUES ('sms', '{}', ?, ?, 'done', 0, ?, ?, ?)
                        """, [.text(id), .text(phone), .int(index), .int(index), .int(turn % 2)])
                }
                try connection.execute(
                    """
                    INSERT INTO consents (phone_e164, program, event, method, created_at)
                    VALUES (?, 'chat', 'opt_in_confirmed', 'web_code', ?)
                    """, [.text(phone), .int(index)])
                try HandoffRepository(connection).insert(
                    VerificationRecord(
                        id: "ver\(index)", sessionID: "ses\(index)", phoneE164: phone, program: "chat", codeHash: [],
                        attempts: 0, state: "replaced", expiresAt: Int64(index), createdAt: Int64(index),
                        ipAddress: "10.0.\(index % 256).\(index / 256)", region: "US", areaCode: "+1415"))
                if index % 10 == 0 {
                    try SuppressionRepository(connection).add(
                        phone, reason: "stop_keyword", source: nil, actor: "customer", requestID: nil, now: Int64(index)
                    )
                }
            }
        }
        try connection.execute("ANALYZE")
        return connection
    }

    @Test func hotPathsNeverScanATable() throws {
        let directory = try TemporaryDirectory()
        let connection = try Self.populated(directory)
        connection.fullScanSteps = [:]
        let chat = ChatRepository(connection)
        let target = "conv\(Self.conversations / 2 + 1)"
        let phone = "+1415\(String(format: "%07d", Self.conversations / 2 + 1))"
        _ = try chat.session(tokenHash: Array("token42".utf8), now: 1)
        _ = try chat.conversation(id: target)
        _ = try chat.openConversation(contactID: "ct42")
        _ = try chat.messages(conversationID: target, afterSeq: 0, limit: 50)
        _ = try chat.message(providerMessageID: "SM7x2")
        let page = (0..<200).map { "conv\(Self.conversations / 4 + $0)" }
        #expect(try chat.activity(conversationIDs: page).count == 200)
        #expect(try chat.contacts(ids: (0..<200).map { "ct\($0)" }).count == 200)
        _ = try chat.lastInboundAt(conversationID: target)
        _ = try chat.lastEventSeq(conversationID: target)
        _ = try chat.hasInboundSMS(conversationID: target, beforeSeq: Int64.max)
        _ = try chat.conversations(state: .open, queue: nil, afterSeq: 100, limit: 50)
        _ = try chat.latestMessages(conversationID: target, authors: [.visitor], limit: 3)
        _ = try chat.latestMessages(conversationID: target, authors: [.visitor, .bot, .agent], limit: 3)
        _ = try chat.latestMessages(
            conversationID: target, authors: [.agent, .bot], channel: .web, afterSeq: 2, limit: 1)
        #expect(try chat.unansweredConversations(before: Int64(Self.conversations * 5), limit: 100).count == 100)
        _ = try chat.overdueFirstResponses(now: Int64.max, limit: 100)
        _ = try chat.conversations(state: nil, queue: nil, owner: .agent("agt_nobody"), afterSeq: 0, limit: 50)
        _ = try chat.conversations(state: .open, queue: nil, intent: "pricing", afterSeq: 0, limit: 50)
        _ = try AgentRepository(connection).agent(keyHash: Array(repeating: 7, count: 32))
        _ = try SuppressionRepository(connection).isSuppressed(phone)
        let phones = (0..<200).map { "+1415\(String(format: "%07d", $0))" }
        #expect(try SuppressionRepository(connection).suppressed(among: phones).count == 20)
        _ = try SuppressionRepository(connection).list(after: nil, limit: 50)
        _ = try HandoffRepository(connection).contact(phone: phone)
        _ = try HandoffRepository(connection).locale(phone: phone)
        _ = try KeyFailureRepository(connection).current(scope: "api", address: "192.0.2.1", now: 1, window: 60_000)
        _ = try chat.wrongNumberAskedAt(contactID: "ct42")
        _ = try HandoffRepository(connection).consents(phone: phone)
        _ = try HandoffRepository(connection).latestVerification(sessionID: "ses42")
        let since = Int64(Self.conversations - 100)
        for scope: CodeScope in [
            .phone(phone), .phoneFromRequester(phone: phone, sessionID: "ses42", ipAddress: "10.0.42.0"),
            .session("ses42"), .address("10.0.42.0"), .region("US"), .areaCode("+1415"), .all,
        ] {
            _ = try HandoffRepository(connection).capReachedAt(scope, since: since, limit: 50)
        }
        #expect(try HandoffRepository(connection).codesSent(since: since) == 100)
        let outbox = OutboxRepository(connection)
        _ = try outbox.due(kind: .sms, now: 1, limit: 32)
        _ = try outbox.claim(id: 42, node: "n", leaseUntil: 30_001, now: 1)
        _ = try outbox.nextDueTime(kind: .sms)
        _ = try outbox.gauges(kinds: [.sms, .webhook])
        _ = try outbox.proactiveSendTimes(to: phone, since: 0)
        _ = try RetentionRepository(connection).purge(before: 5, now: 10, limit: 100)
        // An index walked in order under a LIMIT counts as scan steps too: bounded by the page size.
        let unbounded = connection.fullScanSteps.filter { $0.value > 100 }
        #expect(unbounded.isEmpty, "full scans: \(unbounded)")
    }
}
