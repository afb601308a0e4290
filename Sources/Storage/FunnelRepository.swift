public import DatabaseDriver
import HandoffCore

/// What the funnel report groups conversations by (API.md "Identity, attribution, outcomes,
/// reports"): a conversation's program, template and variant are those of its first proactive text
/// (its earliest `outbound` row; program `chat`, template and variant null without one); its
/// campaign and queue are its own; its day is the UTC day it started.
public enum FunnelDimension: String, Sendable, CaseIterable {
    case program, template, variant, campaign, queue, day
}

/// The counted columns of one row of the funnel report, summed in the database over the
/// conversations created in the range whose key is `key`.
public struct FunnelTotals: Sendable, Equatable {
    public var key: String?
    /// By variant, the template whose variant `key` is (nil for conversations without a variant).
    public var templateID: String?
    public var conversations: Int
    /// An offer shown in the conversation or texts asked for while it was open.
    public var handoffsOffered: Int
    /// The contact's session confirmed an opt-in while the conversation was open.
    public var handoffsVerified: Int
    /// Verified at most 90 s after the first offer or request.
    public var verifiedWithin90s: Int
    /// At least one text of ours (system texts included) `sent`, `delivered` or `undelivered`.
    public var sent: Int
    public var delivered: Int
    /// The customer texted after one of our texts.
    public var replied: Int
    public var escalated: Int
    public var resolved: Int
    /// At least one outcome; `revenueCents` their values summed.
    public var converted: Int
    public var revenueCents: Int64
    /// The contact (or its phone) opted out after the conversation started.
    public var optOuts: Int
}

/// One message of a conversation in the report, in history order: its conversation, the
/// conversation's key, who wrote it and when.
public struct FunnelMessage: Sendable, Equatable {
    /// The conversation's `seq`: the messages of one conversation come together, in history order.
    public var conversation: Int64
    public var key: String?
    /// By variant, the template whose variant `key` is.
    public var templateID: String?
    /// `visitor`, `bot`, `agent` or `system`.
    public var author: String
    public var createdAt: Int64

    public init(conversation: Int64, key: String?, templateID: String? = nil, author: String, createdAt: Int64) {
        self.conversation = conversation
        self.key = key
        self.templateID = templateID
        self.author = author
        self.createdAt = createdAt
    }
}

/// The SQL of the funnel report; portable between SQLite and PostgreSQL. Call it inside
/// `Database.read`. Counting and grouping happen in the database: dense facts (the conversations
/// of the range and their texts) are read through the range's conversations, sparse ones
/// (offers, verifications, opt-ins, outcomes, opt-outs) through their own time index from the
/// range's start (a fact about a conversation comes after it started), so a report reads the
/// facts of its conversations and never a whole table.
public struct FunnelRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    static let dayMilliseconds: Int64 = 86_400_000
    /// How much earlier than the range's start an offer or an outcome is looked for: their rows do
    /// not say that they follow the conversation's start, so a clock a little behind another
    /// node's is allowed for.
    static let clockAllowance: Int64 = dayMilliseconds

    /// The key of conversation `c`; by day, the day's number since 1970 (see `decodedKey`).
    private static func key(_ dimension: FunnelDimension) -> String {
        return switch dimension {
        case .program: "coalesce(\(firstText("f.program")), 'chat')"
        case .template: firstText("f.template_id")
        case .variant: firstText("f.variant")
        case .campaign: "c.campaign"
        case .queue: "c.queue"
        case .day: "CAST(c.created_at / \(dayMilliseconds) AS TEXT)"
        }
    }

    /// By variant, the template of conversation `c`'s variant (a row is one variant of one template).
    private static func template(_ dimension: FunnelDimension) -> String {
        dimension == .variant
            ? firstText("CASE WHEN f.variant IS NULL THEN NULL ELSE f.template_id END") : "CAST(NULL AS TEXT)"
    }

    /// `expression` of conversation `c`'s first proactive text `f`.
    private static func firstText(_ expression: String) -> String {
        "(SELECT \(expression) FROM outbound f WHERE f.conversation_id = c.id ORDER BY f.created_at, f.id LIMIT 1)"
    }

    /// The key column as the report shows it: by day, the UTC date of the day number.
    private static func decodedKey(_ row: Row, _ dimension: FunnelDimension) throws(StorageError) -> String? {
        let key: String? = try row.get("key")
        guard dimension == .day, let key, let day = Int64(key) else { return key }
        return String(Timestamp(unixMilliseconds: day * dayMilliseconds).description.prefix(10))
    }

    /// The counted columns of the conversations created in [from, to), one row per key. (`CROSS
    /// JOIN` makes SQLite drive each sparse fact's join from the fact's time index, as PostgreSQL
    /// plans it by itself; grouping outcomes by an expression keeps SQLite from walking the whole
    /// per-conversation index for its order.)
    public func totals(from: Int64, to: Int64, by dimension: FunnelDimension) throws(StorageError) -> [FunnelTotals] {
        let (sql, values) = Self.totalsStatement(from: from, to: to, by: dimension)
        return try connection.query(sql, values).map { (row) throws(StorageError) -> FunnelTotals in
            try FunnelTotals(
                key: Self.decodedKey(row, dimension), templateID: row.get("template"),
                conversations: row.get("conversations"),
                handoffsOffered: row.get("offered"), handoffsVerified: row.get("verified"),
                verifiedWithin90s: row.get("within90s"), sent: row.get("sent"), delivered: row.get("delivered"),
                replied: row.get("replied"), escalated: row.get("escalated"), resolved: row.get("resolved"),
                converted: row.get("converted"), revenueCents: row.get("revenue"), optOuts: row.get("opt_outs"))
        }
    }

    /// The statements of a report with their values, `totals`' then `messages`' (for their query plans).
    public static func statements(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> [(sql: String, values: [DatabaseValue])] {
        [totalsStatement(from: from, to: to, by: dimension), messagesStatement(from: from, to: to, by: dimension)]
    }

    private static func totalsStatement(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> (sql: String, values: [DatabaseValue]) {
        let key = Self.key(dimension)
        let template = Self.template(dimension)
        // ?1, ?2: the range; ?3: where offers and outcomes are looked for from.
        let inRange = "c.created_at >= ?1 AND c.created_at < ?2"
        func during(_ alias: String) -> String {
            "s.id = \(alias).session_id AND c.contact_id = s.contact_id AND \(inRange) "
                + "AND \(alias).created_at >= c.created_at AND (c.closed_at IS NULL OR \(alias).created_at <= c.closed_at)"
        }
        // One row per (conversation, fact): the columns that fact counts, zero in the others.
        func columns(
            conversations: String = "0", offered: String = "0", verified: String = "0", within90s: String = "0",
            sent: String = "0", delivered: String = "0", replied: String = "0", escalated: String = "0",
            resolved: String = "0", converted: String = "0", revenue: String = "0", optOuts: String = "0"
        ) -> String {
            "\(key) AS key, \(template) AS template, \(conversations) AS conversations, \(offered) AS offered, \(verified) AS verified, "
                + "\(within90s) AS within90s, \(sent) AS sent, \(delivered) AS delivered, \(replied) AS replied, "
                + "\(escalated) AS escalated, \(resolved) AS resolved, \(converted) AS converted, "
                + "\(revenue) AS revenue, \(optOuts) AS opt_outs"
        }
        let ourText = "m.direction = 'outbound'"
        return (
            """
            SELECT key, template, CAST(sum(conversations) AS BIGINT) AS conversations, CAST(sum(offered) AS BIGINT) AS offered,
              CAST(sum(verified) AS BIGINT) AS verified, CAST(sum(within90s) AS BIGINT) AS within90s,
              CAST(sum(sent) AS BIGINT) AS sent, CAST(sum(delivered) AS BIGINT) AS delivered,
              CAST(sum(replied) AS BIGINT) AS replied, CAST(sum(escalated) AS BIGINT) AS escalated,
              CAST(sum(resolved) AS BIGINT) AS resolved, CAST(sum(converted) AS BIGINT) AS converted,
              CAST(sum(revenue) AS BIGINT) AS revenue, CAST(sum(opt_outs) AS BIGINT) AS opt_outs
            FROM (
              SELECT \(columns(
                  conversations: "1",
                  escalated: "CASE WHEN c.state = 'escalated' OR c.escalation_reason IS NOT NULL THEN 1 ELSE 0 END",
                  resolved: "CASE WHEN c.resolution = 'resolved' THEN 1 ELSE 0 END"))
              FROM conversations c
              WHERE \(inRange)
              UNION ALL
              SELECT \(columns(
                  sent: "c.sent", delivered: "c.delivered",
                  replied: "CASE WHEN c.last_customer_text > c.first_ours THEN 1 ELSE 0 END"))
              FROM (
                SELECT c.id, c.campaign, c.queue, c.created_at,
                  max(CASE WHEN \(ourText) AND m.status IN ('sent', 'delivered', 'undelivered') THEN 1 ELSE 0 END) AS sent,
                  max(CASE WHEN \(ourText) AND m.status = 'delivered' THEN 1 ELSE 0 END) AS delivered,
                  min(CASE WHEN \(ourText) THEN m.seq END) AS first_ours,
                  max(CASE WHEN m.direction = 'inbound' THEN m.seq END) AS last_customer_text
                FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.channel = 'sms'
                WHERE \(inRange)
                GROUP BY c.id, c.campaign, c.queue, c.created_at
              ) c
              UNION ALL
              SELECT \(columns(
                  offered: "CASE WHEN h.offered_at IS NULL THEN 0 ELSE 1 END",
                  verified: "CASE WHEN h.verified_at IS NULL THEN 0 ELSE 1 END",
                  within90s: "CASE WHEN h.verified_at - h.offered_at <= 90000 THEN 1 ELSE 0 END"))
              FROM (
                SELECT conversation_id, min(offered_at) AS offered_at, min(verified_at) AS verified_at FROM (
                  SELECT x.conversation_id, x.created_at AS offered_at, CAST(NULL AS BIGINT) AS verified_at
                  FROM handoff_offers x WHERE x.created_at >= ?3
                  UNION ALL
                  SELECT c.id, v.created_at, CAST(NULL AS BIGINT)
                  FROM verifications v CROSS JOIN sessions s CROSS JOIN conversations c
                  WHERE v.created_at >= ?1 AND \(during("v"))
                  UNION ALL
                  SELECT c.id, CAST(NULL AS BIGINT), k.created_at
                  FROM consents k CROSS JOIN sessions s CROSS JOIN conversations c
                  WHERE k.event = 'opt_in_confirmed' AND k.created_at >= ?1 AND \(during("k"))
                ) handoffs GROUP BY conversation_id
              ) h JOIN conversations c ON c.id = h.conversation_id
              WHERE \(inRange)
              UNION ALL
              SELECT \(columns(converted: "1", revenue: "converted.revenue"))
              FROM (
                SELECT x.conversation_id || '' AS conversation_id, coalesce(sum(x.value_cents), 0) AS revenue
                FROM outcomes x
                WHERE x.created_at >= ?3 GROUP BY x.conversation_id || ''
              ) converted JOIN conversations c ON c.id = converted.conversation_id
              WHERE \(inRange)
              UNION ALL
              SELECT \(columns(optOuts: "1"))
              FROM conversations c
              WHERE c.id IN (
                SELECT c.id FROM consents k CROSS JOIN conversations c
                WHERE c.contact_id = k.contact_id AND k.event = 'opt_out' AND k.created_at >= ?1 AND \(inRange) AND k.created_at >= c.created_at
                UNION
                SELECT c.id FROM consents k CROSS JOIN contacts p CROSS JOIN conversations c
                WHERE p.phone_e164 = k.phone_e164 AND c.contact_id = p.id AND k.event = 'opt_out' AND k.created_at >= ?1 AND \(inRange) AND k.created_at >= c.created_at
              )
            ) facts
            GROUP BY key, template
            """,
            [.integer(from), .integer(to), .integer(from - Self.clockAllowance)]
        )
    }

    /// The messages of the conversations created in [from, to) with their conversation's key,
    /// each conversation's together and in history order.
    public func messages(from: Int64, to: Int64, by dimension: FunnelDimension) throws(StorageError) -> [FunnelMessage]
    {
        var days: [String: String?] = [:]  // by day, each key decoded once
        let (sql, values) = Self.messagesStatement(from: from, to: to, by: dimension)
        return try connection.query(sql, values).map { (row) throws(StorageError) -> FunnelMessage in
            let stored: String? = try row.get("key")
            var key = stored
            if dimension == .day, let stored {
                if days[stored] == nil { days[stored] = try Self.decodedKey(row, dimension) }
                key = days[stored] ?? nil
            }
            return try FunnelMessage(
                conversation: row.get("conversation"), key: key, templateID: row.get("template"),
                author: row.get("author"), createdAt: row.get("created_at"))
        }
    }

    private static func messagesStatement(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> (sql: String, values: [DatabaseValue]) {
        (
            """
            SELECT c.seq AS conversation, \(key(dimension)) AS key, \(template(dimension)) AS template, m.author, m.created_at
            FROM conversations c
            JOIN messages m ON m.conversation_id = c.id
            WHERE c.created_at >= ? AND c.created_at < ?
            ORDER BY c.created_at, c.seq, m.seq
            """,
            [.integer(from), .integer(to)]
        )
    }
}
