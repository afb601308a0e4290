import DatabaseDriver
import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// The funnel report as the database computes it (grouped in SQL, sparse facts read through their
/// time indexes) equals a straightforward computation in Swift over every stored row, by each key,
/// on a random mix of conversations around the range: several per contact, closed or open, offers
/// a little before their conversation, verifications and opt-ins outside a conversation's
/// window, opt-outs by contact and by phone alone, several proactive texts per conversation (time
/// ties), texts delivered late, outcomes without a value, messages out of time order.
@Suite struct FunnelFastPathTests {
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_764_547_200_000  // 2025-12-01T00:00:00Z
    static let end = start + 10 * day
    static let range = (from: "2025-12-01T00:00:00Z", to: "2025-12-11T00:00:00Z")

    /// An answer SLA of ten years: the application's answer-deadline sweep would otherwise escalate
    /// the history's unanswered conversations (into queue `humans`) between the test's two reads.
    static func noSweep(_ configuration: inout Configuration) {
        configuration.answerSLA = .seconds(10 * 365 * 86_400)
    }

    @Test func theDatabaseComputesWhatEveryRowSays() async throws {
        try await TestApplication.inProcess(Self.noSweep) { application, _, _ in
            try await Self.check(application)
        }
    }

    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func theSameOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.inProcess({
                $0.databasePath = scratch.uri
                Self.noSweep(&$0)
            }) { application, _, _ in
                try await Self.check(application)
            }
        }
    }

    /// The roll-up that triggers keep (migration 0027) follows every later kind of write: texts'
    /// statuses, conversations' state, queue, campaign and start, messages moved to another
    /// conversation (a merge), restamped or erased, conversations erased, answers and earlier
    /// proactive texts added to old conversations.
    @Test func theRollUpFollowsLaterWrites() async throws {
        try await TestApplication.inProcess(Self.noSweep) { application, _, _ in
            try await Self.check(application, rewrites: true)
        }
    }

    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func theRollUpFollowsLaterWritesOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.inProcess({
                $0.databasePath = scratch.uri
                Self.noSweep(&$0)
            }) { application, _, _ in
                try await Self.check(application, rewrites: true)
            }
        }
    }

    static func check(_ application: HandoffApplication, rewrites: Bool = false) async throws {
        var random = SplitMix64(seed: 20)
        let inserts = MixedHistory.statements(&random)
        let statements = rewrites ? inserts + MixedHistory.rewrites(&random) : inserts
        _ = try await application.database.write { connection in
            for (sql, values) in statements { _ = try connection.execute(sql, values) }
        }
        let history = try await application.database.read { try MixedHistory(reading: $0) }
        #expect(history.conversations.count > 300 && history.messages.count > 1_000)
        let service = FunnelReportService(database: application.database)
        for dimension in FunnelDimension.allCases {
            let query = try FunnelQuery(from: range.from, to: range.to, by: dimension.rawValue)
            let rows = try await service.report(query)
            let expected = history.report(from: start, to: end, by: dimension)
            #expect(rows.map(\.key) == expected.map(\.key), "\(dimension)")
            #expect(rows.map(\.templateID) == expected.map(\.templateID), "\(dimension)")
            for (row, want) in zip(rows, expected) {
                #expect(
                    row.fields(byVariant: false).map(\.1) == want.fields(byVariant: false).map(\.1),
                    "\(dimension) \(row.key ?? "null")")
            }
            #expect(rows.count > 1, "\(dimension)")
        }
    }
}

/// A random history of conversations written as plain rows, and the report computed from those
/// rows one conversation at a time, as API.md defines each column.
struct MixedHistory {
    struct Conversation {
        var seq: Int64, id: String, contactID: String, state: String
        var queue: String?
        var escalationReason: String?
        var createdAt: Int64
        var closedAt: Int64?
        var resolution: String?
        var campaign: String?
    }
    struct Message {
        var seq: Int64, conversationID: String, direction: String, channel: String, author: String, status: String
        var at: Int64
    }
    struct Fact {
        var owner: String?
        var other: String?
        var event: String?
        var at: Int64
        var value: Int64?
    }

    var conversations: [Conversation] = []
    var phones: [String: String] = [:]  // contact → phone
    var sessions: [String: String] = [:]  // session → contact
    var messages: [Message] = []
    var offers: [Fact] = []  // owner: conversation
    var verifications: [Fact] = []  // owner: session
    var consents: [Fact] = []  // owner: contact, other: session or phone (by event)
    var outbound: [(conversation: String, id: String, program: String, template: String, variant: String?, at: Int64)] =
        []
    var outcomes: [Fact] = []  // owner: conversation

    static let start = FunnelFastPathTests.start
    static let day = FunnelFastPathTests.day

    /// The INSERTs of a random history: 120 contacts, 360 conversations from a day before the range
    /// to a day after it.
    static func statements(_ random: inout SplitMix64) -> [(String, [DatabaseValue])] {
        var out: [(String, [DatabaseValue])] = []
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
        func time(_ low: Int64, _ high: Int64) -> Int64 { Int64.random(in: low...high, using: &random) }
        let contacts = 120
        for index in 0..<contacts {
            let phone: DatabaseValue = index % 5 == 4 ? .null : .text("+1415556\(String(format: "%04d", index))")
            out.append(
                (
                    "INSERT INTO contacts (id, phone_e164, created_at) VALUES (?, ?, ?)",
                    [.text("ct\(index)"), phone, .integer(0)]
                ))
            for session in 0..<2 {
                out.append(
                    (
                        """
                        INSERT INTO sessions (id, token_hash, contact_id, created_at, last_seen_at, expires_at)
                        VALUES (?, ?, ?, 0, 0, 9999999999999)
                        """,
                        [
                            .text("ses\(index)-\(session)"), .blob(Array("t\(index)-\(session)".utf8)),
                            .text("ct\(index)"),
                        ]
                    ))
            }
        }
        for template in 0..<3 {
            out.append(
                (
                    """
                    INSERT INTO templates (id, name, program, locale, current_version, approved_version, created_at, updated_at)
                    VALUES (?, ?, 'reminders', 'en', 1, 1, 0, 0)
                    """, [.text("tpl\(template)"), .text("t\(template)")]
                ))
        }
        for index in 0..<360 {
            let id = "conv\(index)"
            let contact = Int.random(in: 0..<contacts, using: &random)
            let created = time(start - day, start + 11 * day)
            let closed: Int64? = Bool.random(using: &random) ? created + time(0, day / 2) : nil
            out.append(
                (
                    """
                    INSERT INTO conversations (id, contact_id, state, queue, escalation_reason, created_at, updated_at,
                        closed_at, resolution, campaign)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(id), .text("ct\(contact)"),
                        .text(closed == nil ? pick(["open", "escalated"]) : "closed"),
                        pick([.null, .text("support"), .text("sales")]), pick([.null, .null, .text("customer_asked")]),
                        .integer(created), .integer(created), closed.map(DatabaseValue.integer) ?? .null,
                        closed == nil ? .null : pick([.null, .text("resolved"), .text("unresolved")]),
                        pick([.null, .text("spring"), .text("winter")]),
                    ]
                ))
            for turn in 0..<Int.random(in: 0...8, using: &random) {
                let channel = pick(["web", "sms"])
                let author = pick(["visitor", "visitor", "bot", "agent", "system"])
                let direction = author == "visitor" ? "inbound" : "outbound"
                let status = direction == "inbound" ? "received" : pick(["queued", "sent", "delivered", "undelivered"])
                // Mostly in order, 20 s to 2 min apart; now and then a message stamped earlier.
                let at = created + Int64(turn) * time(20_000, 120_000) - (turn % 5 == 4 ? 200_000 : 0)
                out.append(
                    (
                        """
                        INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at,
                            updated_at)
                        VALUES (?, ?, ?, ?, ?, 'hello', ?, ?, ?)
                        """,
                        [
                            .text("msg\(index)-\(turn)"), .text(id), .text(direction), .text(channel), .text(author),
                            .text(status), .integer(at), .integer(at + (status == "delivered" ? 3 * day : 0)),
                        ]
                    ))
            }
            if Int.random(in: 0..<3, using: &random) == 0 {
                for offer in 0..<Int.random(in: 1...2, using: &random) {
                    out.append(
                        (
                            """
                            INSERT INTO handoff_offers (id, conversation_id, reason, state, created_at)
                            VALUES (?, ?, 'agent', 'shown', ?)
                            """, [.text("ho\(index)-\(offer)"), .text(id), .integer(created + time(-60_000, 600_000))]
                        ))
                }
            }
            if Int.random(in: 0..<3, using: &random) == 0 {
                let count = Int.random(in: 1...2, using: &random)
                let at = created + time(0, 60_000)
                for text in 0..<count {
                    out.append(
                        (
                            """
                            INSERT INTO outbound (id, to_e164, contact_id, conversation_id, program, template_id,
                                template_version, variant, body, state, send_at, created_at, updated_at)
                            VALUES (?, '+14155550000', ?, ?, ?, ?, 1, ?, 'hi', 'released', ?, ?, ?)
                            """,
                            [
                                .text("ob\(index)-\(text)"), .text("ct\(contact)"), .text(id),
                                .text(pick(["reminders", "offers"])),
                                .text(pick(["tpl0", "tpl1", "tpl2"])), pick([.null, .text("a"), .text("b")]),
                                .integer(at), .integer(text == 0 ? at : at + pick([0, 1_000])), .integer(at),
                            ]
                        ))
                }
            }
            if Int.random(in: 0..<6, using: &random) == 0 {
                for outcome in 0..<Int.random(in: 1...2, using: &random) {
                    out.append(
                        (
                            "INSERT INTO outcomes (id, conversation_id, type, value_cents, created_at) VALUES (?, ?, 'paid', ?, ?)",
                            [
                                .text("out\(index)-\(outcome)"), .text(id),
                                pick([.null, .integer(time(100, 90_000))]), .integer(created + time(0, 20 * day)),
                            ]
                        ))
                }
            }
        }
        // Verifications and opt-ins of random sessions, opt-outs by contact or by phone alone, at
        // random times around the range.
        for index in 0..<160 {
            let contact = Int.random(in: 0..<contacts, using: &random)
            let session = "ses\(contact)-\(Int.random(in: 0...1, using: &random))"
            let phone = "+1415556\(String(format: "%04d", contact))"
            let at = time(start - day, start + 12 * day)
            out.append(
                (
                    """
                    INSERT INTO verifications (id, session_id, phone_e164, program, code_hash, state, expires_at, created_at)
                    VALUES (?, ?, ?, 'chat', ?, 'verified', 0, ?)
                    """, [.text("ver\(index)"), .text(session), .text(phone), .blob([1]), .integer(at)]
                ))
            if Bool.random(using: &random) {
                out.append(
                    (
                        """
                        INSERT INTO consents (phone_e164, contact_id, program, event, method, session_id, created_at)
                        VALUES (?, ?, 'chat', 'opt_in_confirmed', 'web_code', ?, ?)
                        """, [.text(phone), .text("ct\(contact)"), .text(session), .integer(at + time(1_000, 200_000))]
                    ))
            }
            if index % 4 == 0 {
                out.append(
                    (
                        """
                        INSERT INTO consents (phone_e164, contact_id, program, event, method, created_at)
                        VALUES (?, ?, 'chat', 'opt_out', 'sms_keyword', ?)
                        """, [.text(phone), index % 8 == 0 ? .text("ct\(contact)") : .null, .integer(at)]
                    ))
            }
        }
        return out
    }

    /// Later writes to the history of `statements` (same seed order): statuses, conversations'
    /// fields, merges, restamped and erased messages, erased conversations, new answers and texts.
    static func rewrites(_ random: inout SplitMix64) -> [(String, [DatabaseValue])] {
        var out: [(String, [DatabaseValue])] = []
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
        func conversation() -> DatabaseValue { .text("conv\(Int.random(in: 0..<360, using: &random))") }
        for _ in 0..<150 {
            out.append(
                (
                    """
                    UPDATE messages SET status = ? WHERE id IN (SELECT id FROM messages
                        WHERE conversation_id = ? AND direction = 'outbound' ORDER BY seq LIMIT 1)
                    """, [.text(pick(["queued", "sent", "delivered", "undelivered", "failed"])), conversation()]
                ))
        }
        for _ in 0..<60 {
            out.append(
                (
                    "UPDATE conversations SET state = ?, escalation_reason = ?, resolution = ?, queue = ? WHERE id = ?",
                    [
                        .text(pick(["open", "escalated", "closed"])), pick([.null, .text("customer_asked")]),
                        pick([.null, .text("resolved"), .text("unresolved")]),
                        pick([.null, .text("support"), .text("billing")]), conversation(),
                    ]
                ))
            out.append(
                (
                    "UPDATE conversations SET campaign = ? WHERE id = ?",
                    [pick([.null, .text("autumn")]), conversation()]
                ))
            out.append(
                (
                    "UPDATE conversations SET created_at = created_at + ? WHERE id = ?",
                    [.integer(pick([-2 * day, -3_600_000, 3_600_000, 2 * day])), conversation()]
                ))
        }
        for _ in 0..<20 {  // a merge: one conversation's messages folded into another's
            out.append(
                ("UPDATE messages SET conversation_id = ? WHERE conversation_id = ?", [conversation(), conversation()]))
        }
        for _ in 0..<40 {
            out.append(
                (
                    """
                    UPDATE messages SET created_at = created_at + ? WHERE id IN (SELECT id FROM messages
                        WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1)
                    """, [.integer(pick([-90_000, -30_000, 45_000])), conversation()]
                ))
            out.append(
                (
                    "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT 1)",
                    [conversation()]
                ))
        }
        for index in 0..<80 {  // answers, customer texts and texts of ours added to old conversations
            let author = pick(["visitor", "bot", "agent", "system"])
            let direction = author == "visitor" ? "inbound" : "outbound"
            out.append(
                (
                    """
                    INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at,
                        updated_at)
                    SELECT ?, id, ?, ?, ?, 'later', ?, created_at + ?, created_at FROM conversations WHERE id = ?
                    """,
                    [
                        .text("later\(index)"), .text(direction), .text(pick(["web", "sms"])), .text(author),
                        .text(direction == "inbound" ? "received" : pick(["sent", "delivered"])),
                        .integer(Int64.random(in: 10_000...900_000, using: &random)), conversation(),
                    ]
                ))
        }
        for index in 0..<30 {  // a proactive text stamped before the conversation's first one
            out.append(
                (
                    """
                    INSERT INTO outbound (id, to_e164, contact_id, conversation_id, program, template_id,
                        template_version, variant, body, state, send_at, created_at, updated_at)
                    SELECT ?, '+14155550000', contact_id, id, 'late', 'tpl1', 1, ?, 'hi', 'released', created_at,
                        created_at - 1, created_at
                    FROM conversations WHERE id = ?
                    """, [.text("late\(index)"), pick([.null, .text("c")]), conversation()]
                ))
        }
        for index in stride(from: 7, to: 360, by: 40) {  // erasures of whole conversations without texts of ours
            let id = DatabaseValue.text("conv\(index)")
            let hasNoText = "NOT EXISTS (SELECT 1 FROM outbound WHERE conversation_id = ?)"
            for table in ["messages", "conversation_events", "handoff_offers", "outcomes"] {
                out.append(("DELETE FROM \(table) WHERE conversation_id = ? AND \(hasNoText)", [id, id]))
            }
            out.append(("DELETE FROM conversations WHERE id = ? AND \(hasNoText)", [id, id]))
        }
        return out
    }

    init(reading connection: any Connection) throws {
        conversations = try connection.query("SELECT * FROM conversations").map {
            try Conversation(
                seq: $0.get("seq"), id: $0.get("id"), contactID: $0.get("contact_id"), state: $0.get("state"),
                queue: $0.get("queue"), escalationReason: $0.get("escalation_reason"), createdAt: $0.get("created_at"),
                closedAt: $0.get("closed_at"), resolution: $0.get("resolution"), campaign: $0.get("campaign"))
        }
        for row in try connection.query("SELECT id, phone_e164 FROM contacts") {
            phones[try row.get("id")] = try row.get("phone_e164")
        }
        for row in try connection.query("SELECT id, contact_id FROM sessions") {
            sessions[try row.get("id")] = try row.get("contact_id")
        }
        messages = try connection.query("SELECT * FROM messages ORDER BY seq").map {
            try Message(
                seq: $0.get("seq"), conversationID: $0.get("conversation_id"), direction: $0.get("direction"),
                channel: $0.get("channel"), author: $0.get("author"), status: $0.get("status"), at: $0.get("created_at")
            )
        }
        offers = try connection.query("SELECT conversation_id, created_at FROM handoff_offers").map {
            try Fact(owner: $0.get("conversation_id"), other: nil, event: nil, at: $0.get("created_at"), value: nil)
        }
        verifications = try connection.query("SELECT session_id, created_at FROM verifications").map {
            try Fact(owner: $0.get("session_id"), other: nil, event: nil, at: $0.get("created_at"), value: nil)
        }
        consents = try connection.query("SELECT * FROM consents").map {
            let event: String = try $0.get("event")
            return try Fact(
                owner: $0.get("contact_id"), other: event == "opt_out" ? $0.get("phone_e164") : $0.get("session_id"),
                event: event, at: $0.get("created_at"), value: nil)
        }
        outbound = try connection.query("SELECT * FROM outbound").map {
            try (
                $0.get("conversation_id"), $0.get("id"), $0.get("program"), $0.get("template_id"), $0.get("variant"),
                $0.get("created_at")
            )
        }
        outcomes = try connection.query("SELECT conversation_id, value_cents, created_at FROM outcomes").map {
            try Fact(
                owner: $0.get("conversation_id"), other: nil, event: nil, at: $0.get("created_at"),
                value: $0.get("value_cents"))
        }
    }

    /// The report's rows by `dimension`, key order (null last), each column as API.md defines it.
    func report(from: Int64, to: Int64, by dimension: FunnelDimension) -> [FunnelRowJSON] {
        var rows: [FunnelReportService.RowKey: FunnelRowJSON] = [:]
        var waits: [FunnelReportService.RowKey: [Int64]] = [:]
        for conversation in conversations where conversation.createdAt >= from && conversation.createdAt < to {
            let first = outbound.filter { $0.conversation == conversation.id }.min { ($0.at, $0.id) < ($1.at, $1.id) }
            let key: String? =
                switch dimension {
                case .program: first?.program ?? "chat"
                case .template: first?.template
                case .variant: first?.variant
                case .campaign: conversation.campaign
                case .queue: conversation.queue
                case .day:
                    String(
                        ISO8601DateFormatter().string(
                            from: Date(timeIntervalSince1970: Double(conversation.createdAt / 1000))
                        ).prefix(10))
                }
            // By variant, a row is one variant of one template.
            let rowKey = FunnelReportService.RowKey(
                key: key, templateID: dimension == .variant && key != nil ? first?.template : nil)
            var row = rows[rowKey] ?? FunnelRowJSON(key: key, templateID: rowKey.templateID)
            row.conversations += 1
            func open(_ at: Int64) -> Bool {
                at >= conversation.createdAt && (conversation.closedAt.map { at <= $0 } ?? true)
            }
            let ownSession = { (session: String?) in session.flatMap { sessions[$0] } == conversation.contactID }
            let offered =
                (offers.filter { $0.owner == conversation.id }
                + verifications.filter { ownSession($0.owner) && open($0.at) }).map(\.at).min()
            let verified = consents.filter { $0.event == "opt_in_confirmed" && ownSession($0.other) && open($0.at) }
                .map(\.at).min()
            if let offered {
                row.handoffsOffered += 1
                if let verified, verified - offered <= 90_000 { row.verifiedWithin90s += 1 }
            }
            if verified != nil { row.handoffsVerified += 1 }
            let history = messages.filter { $0.conversationID == conversation.id }
            let ours = history.filter { $0.channel == "sms" && $0.direction == "outbound" }
            if ours.contains(where: { ["sent", "delivered", "undelivered"].contains($0.status) }) { row.sent += 1 }
            if ours.contains(where: { $0.status == "delivered" }) { row.delivered += 1 }
            if history.contains(where: { text in
                text.channel == "sms" && text.direction == "inbound" && ours.contains { $0.seq < text.seq }
            }) {
                row.replied += 1
            }
            if conversation.state == "escalated" || conversation.escalationReason != nil { row.escalated += 1 }
            if conversation.resolution == "resolved" { row.resolved += 1 }
            let results = outcomes.filter { $0.owner == conversation.id }
            if !results.isEmpty { row.converted += 1 }
            row.revenueCents += results.compactMap(\.value).reduce(0, +)
            let phone = phones[conversation.contactID] ?? nil
            if consents.contains(where: { consent in
                consent.event == "opt_out" && consent.at >= conversation.createdAt
                    && (consent.owner == conversation.contactID || (phone != nil && consent.other == phone))
            }) {
                row.optOuts += 1
            }
            for (index, question) in history.enumerated() where question.author == "visitor" {
                let later = history[(index + 1)...]
                if let answer = later.first(where: { $0.author == "bot" || $0.author == "agent" }) {
                    waits[rowKey, default: []].append(max(0, answer.at - question.at))
                }
                if let reply = later.first(where: { $0.author != "visitor" }), reply.at - question.at <= 60_000 {
                    row.answeredWithin60s += 1
                }
            }
            rows[rowKey] = row
        }
        for (key, values) in waits {
            let sorted = values.sorted()
            func percentile(_ percent: Double) -> Int64 {
                sorted[Int((Double(sorted.count) * percent / 100).rounded(.up)) - 1]
            }
            rows[key]?.firstResponseP50 = percentile(50)
            rows[key]?.firstResponseP90 = percentile(90)
        }
        return rows.sorted { $0.key < $1.key }.map(\.value)
    }
}
