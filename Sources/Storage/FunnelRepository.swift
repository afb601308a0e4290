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

/// The response columns of one row of the funnel report, over the customer messages of the
/// conversations created in the range whose key is `key`.
public struct FunnelResponses: Sendable, Equatable {
    public var key: String?
    /// By variant, the template whose variant `key` is.
    public var templateID: String?
    /// The nearest-rank percentiles of the milliseconds from each answered customer message to the
    /// first bot or agent message after it (0 when that one is stamped earlier).
    public var firstResponseP50: Int64?
    public var firstResponseP90: Int64?
    /// Customer messages followed within 60 s by a bot, agent or system message.
    public var answeredWithin60s: Int
}

/// The SQL of the funnel report; portable between SQLite and PostgreSQL. Call it inside
/// `Database.read`. Counting and grouping happen in the database; the first-response waits are
/// ranked in Swift (see `responses`). The dense facts come from the roll-up that triggers keep in
/// every write's transaction (migration 0027): a `funnel_conversations` row per conversation (its
/// keys, message and state facts), a `funnel_texts` row per SMS of ours (sent, delivered) and a
/// `funnel_responses` row per customer message (its answer and reply), read through the range's
/// start times. The sparse facts
/// (offers, verifications, opt-ins, outcomes, opt-outs) are read through their own time index from
/// the range's start (a fact about a conversation comes after it started). A report never reads a
/// conversation's messages nor a whole table.
public struct FunnelRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    static let dayMilliseconds: Int64 = 86_400_000
    /// How much earlier than the range's start an offer or an outcome is looked for: their rows do
    /// not say that they follow the conversation's start, so a clock a little behind another
    /// node's is allowed for.
    static let clockAllowance: Int64 = dayMilliseconds

    /// The key of conversation `r` (its `funnel_conversations` row); by day, the day's number since
    /// 1970 (see `decodedKey`).
    private static func key(_ dimension: FunnelDimension) -> String {
        return switch dimension {
        case .program: "coalesce(r.program, 'chat')"
        case .template: "r.template_id"
        case .variant: "r.variant"
        case .campaign: "r.campaign"
        case .queue: "r.queue"
        case .day: "CAST(r.created_at / \(dayMilliseconds) AS TEXT)"
        }
    }

    /// By variant, the template of conversation `r`'s variant (a row is one variant of one template).
    private static func template(_ dimension: FunnelDimension) -> String {
        dimension == .variant ? "CASE WHEN r.variant IS NULL THEN NULL ELSE r.template_id END" : "CAST(NULL AS TEXT)"
    }

    /// The key column as the report shows it: by day, the UTC date of the day number.
    private static func decodedKey(_ row: Row, _ dimension: FunnelDimension) throws(StorageError) -> String? {
        decodedKey(try row.get("key"), dimension)
    }

    private static func decodedKey(_ key: String?, _ dimension: FunnelDimension) -> String? {
        guard dimension == .day, let key, let day = Int64(key) else { return key }
        return String(Timestamp(unixMilliseconds: day * dayMilliseconds).description.prefix(10))
    }

    /// The counted columns of the conversations created in [from, to), one row per key. (`CROSS
    /// JOIN` makes SQLite drive each sparse fact's join from the fact's time index, as PostgreSQL
    /// plans it by itself; grouping outcomes by an expression keeps SQLite from walking the whole
    /// per-conversation index for its order. A conversation's texts are joined and grouped rather
    /// than looked up with `EXISTS`, which PostgreSQL runs as a hash of every text ever stored:
    /// 0.45 s at 100,000 conversations, against 0.15 s joined.)
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

    /// The response columns of the conversations created in [from, to), one row per key that has a
    /// customer message answered or replied to, in key order. The database reads the waits, in no
    /// order; they are ranked here: ranking them in SQL (a window per key over every customer message
    /// of the range) cost most of a report (0.35 s of CPU on SQLite at 100,000 conversations).
    public func responses(from: Int64, to: Int64, by dimension: FunnelDimension) throws(StorageError)
        -> [FunnelResponses]
    {
        let (sql, values) = Self.responsesStatement(from: from, to: to, by: dimension)
        // Grouped by the key as stored (a day's number): decoded once per row of the report.
        var groups: [ResponseGroup: ResponseFacts] = [:]
        for row in try connection.query(sql, values) {
            try groups[ResponseGroup(key: row.get("key"), templateID: row.get("template")), default: ResponseFacts()]
                .add(wait: row.get("wait"), within60s: row.get("within60s"))
        }
        return groups.sorted { $0.key < $1.key }.map { group, facts in
            let waits = facts.waits.sorted()
            return FunnelResponses(
                key: Self.decodedKey(group.key, dimension), templateID: group.templateID,
                firstResponseP50: Self.nearestRank(50, of: waits), firstResponseP90: Self.nearestRank(90, of: waits),
                answeredWithin60s: facts.within60s)
        }
    }

    /// A row of the response columns: a key and, by variant, its template.
    private struct ResponseGroup: Hashable, Comparable {
        var key: String?
        var templateID: String?

        static func < (left: Self, right: Self) -> Bool {
            (left.key == nil ? 0 : 1, left.key ?? "", left.templateID == nil ? 0 : 1, left.templateID ?? "")
                < (right.key == nil ? 0 : 1, right.key ?? "", right.templateID == nil ? 0 : 1, right.templateID ?? "")
        }
    }

    /// The response facts of one row: its answered customer messages' waits and the messages
    /// replied to within 60 s.
    private struct ResponseFacts {
        var waits: [Int64] = []
        var within60s = 0

        mutating func add(wait: Int64?, within60s: Int) {
            if let wait { waits.append(wait) }
            self.within60s += within60s
        }
    }

    /// The nearest-rank percentile of `sorted` (ascending): its `rank`-th value, rank = ceil(count ×
    /// percent / 100); nil when it is empty.
    static func nearestRank(_ percent: Int, of sorted: [Int64]) -> Int64? {
        sorted.isEmpty ? nil : sorted[(sorted.count * percent + 99) / 100 - 1]
    }

    /// The statements of a report with their values, `totals`' then `responses`' (for their query plans).
    public static func statements(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> [(sql: String, values: [DatabaseValue])] {
        [totalsStatement(from: from, to: to, by: dimension), responsesStatement(from: from, to: to, by: dimension)]
    }

    private static func totalsStatement(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> (sql: String, values: [DatabaseValue]) {
        let key = Self.key(dimension)
        let template = Self.template(dimension)
        // ?1, ?2: the range; ?3: where offers and outcomes are looked for from.
        let inRange = "r.created_at >= ?1 AND r.created_at < ?2"
        let conversationInRange = "c.created_at >= ?1 AND c.created_at < ?2"
        func during(_ alias: String) -> String {
            "s.id = \(alias).session_id AND c.contact_id = s.contact_id AND \(conversationInRange) "
                + "AND \(alias).created_at >= c.created_at AND (c.closed_at IS NULL OR \(alias).created_at <= c.closed_at)"
        }
        // One row per (conversation, fact), or per key for the counted facts of every conversation:
        // the columns that fact counts, zero in the others.
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
                  conversations: "count(*)", sent: "sum(r.sent)", delivered: "sum(r.delivered)",
                  replied: "sum(CASE WHEN r.last_reply_seq > r.first_ours_seq THEN 1 ELSE 0 END)",
                  escalated: "sum(r.escalated)", resolved: "sum(r.resolved)"))
              FROM (
                SELECT r.conversation_id, r.created_at, r.campaign, r.queue, r.program, r.template_id, r.variant,
                  r.escalated, r.resolved, r.first_ours_seq, r.last_reply_seq,
                  coalesce(max(t.sent), 0) AS sent, coalesce(max(t.delivered), 0) AS delivered
                FROM funnel_conversations r LEFT JOIN funnel_texts t ON t.conversation_id = r.conversation_id
                WHERE \(inRange)
                GROUP BY r.conversation_id
              ) r
              GROUP BY 1, 2
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
              ) h JOIN funnel_conversations r ON r.conversation_id = h.conversation_id
              WHERE \(inRange)
              UNION ALL
              SELECT \(columns(converted: "1", revenue: "converted.revenue"))
              FROM (
                SELECT x.conversation_id || '' AS conversation_id, coalesce(sum(x.value_cents), 0) AS revenue
                FROM outcomes x
                WHERE x.created_at >= ?3 GROUP BY x.conversation_id || ''
              ) converted JOIN funnel_conversations r ON r.conversation_id = converted.conversation_id
              WHERE \(inRange)
              UNION ALL
              SELECT \(columns(optOuts: "1"))
              FROM funnel_conversations r
              WHERE r.conversation_id IN (
                SELECT c.id FROM consents k CROSS JOIN conversations c
                WHERE c.contact_id = k.contact_id AND k.event = 'opt_out' AND k.created_at >= ?1 AND \(conversationInRange) AND k.created_at >= c.created_at
                UNION
                SELECT c.id FROM consents k CROSS JOIN contacts p CROSS JOIN conversations c
                WHERE p.phone_e164 = k.phone_e164 AND c.contact_id = p.id AND k.event = 'opt_out' AND k.created_at >= ?1 AND \(conversationInRange) AND k.created_at >= c.created_at
              )
            ) facts
            GROUP BY key, template
            """,
            [.integer(from), .integer(to), .integer(from - Self.clockAllowance)]
        )
    }

    /// Per customer message of the range's conversations that was replied to: its key, its wait
    /// for the first bot or agent answer in milliseconds (0 when that one is stamped earlier; NULL
    /// when none came) and whether a reply came within 60 s.
    private static func responsesStatement(
        from: Int64, to: Int64, by dimension: FunnelDimension
    ) -> (sql: String, values: [DatabaseValue]) {
        (
            """
            SELECT \(key(dimension)) AS key, \(template(dimension)) AS template,
              CASE WHEN x.answered_at < x.created_at THEN 0 ELSE x.answered_at - x.created_at END AS wait,
              CASE WHEN x.replied_at - x.created_at <= 60000 THEN 1 ELSE 0 END AS within60s
            FROM funnel_conversations r JOIN funnel_responses x ON x.conversation_id = r.conversation_id
            WHERE r.created_at >= ? AND r.created_at < ? AND x.reply_seq IS NOT NULL
            """,
            [.integer(from), .integer(to)]
        )
    }
}
