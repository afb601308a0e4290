package import DatabaseDriver
import HandoffCore
package import Storage

/// A validated funnel request: conversations created in [from, to), grouped by `dimension`.
package struct FunnelQuery: Sendable, Equatable {
    package var from: Int64
    package var to: Int64
    package var dimension: FunnelDimension

    /// The longest range one report covers.
    static let maxDays: Int64 = 366

    /// Reads the query's `from`, `to` (RFC 3339) and `by`; 422 naming the field when one is
    /// missing or not acceptable (`to` must follow `from`, at most 366 days later).
    package init(from: String?, to: String?, by: String?) throws(UseCaseError) {
        func timestamp(_ text: String?, _ field: String) throws(UseCaseError) -> Int64 {
            guard let text else {
                throw UseCaseError(.invalid, code: "missing_field", message: "\(field) is required.", field: field)
            }
            guard let time = Timestamp(parsing: text) else {
                throw Self.invalid(field, "\(field) is an RFC 3339 time such as 2026-12-01T00:00:00Z.")
            }
            return time.unixMilliseconds
        }
        self.from = try timestamp(from, "from")
        self.to = try timestamp(to, "to")
        guard self.to > self.from else { throw Self.invalid("to", "to must be later than from.") }
        guard self.to - self.from <= Self.maxDays * 86_400_000 else {
            throw Self.invalid("to", "A report covers at most \(Self.maxDays) days.")
        }
        guard let by else {
            throw UseCaseError(.invalid, code: "missing_field", message: "by is required.", field: "by")
        }
        guard let dimension = FunnelDimension(rawValue: by) else {
            throw Self.invalid("by", "by is one of program, template, variant, campaign, queue, day.")
        }
        self.dimension = dimension
    }

    private static func invalid(_ field: String, _ message: String) -> UseCaseError {
        UseCaseError(.invalid, code: "invalid_field", message: message, field: field)
    }
}

/// The funnel report (API.md "Identity, attribution, outcomes, reports"), computed from stored
/// rows only, so a restart changes nothing. Each column counts the conversations created in the
/// range (or, for the response columns, their customer messages):
/// - a conversation's program, template and variant are those of its first proactive text (its
///   earliest `outbound` row); a conversation without one is in program `chat`, template and
///   variant null (by variant, the key is the variant's id alone);
/// - a handoff is offered when an offer was shown in the conversation or the visitor asked for
///   texts while it was open; verified when the contact's session confirmed an opt-in while it
///   was open; `verified_within_90s` when that came at most 90 s after the first offer or request;
/// - `sent`/`delivered`: at least one text of ours (system texts included) sent (`sent`,
///   `delivered` or `undelivered`) / delivered; `replied`: a customer text after one of ours;
/// - `first_response_ms_p50|p90`: over the customer messages that got an answer, the time to the
///   first bot or agent message after it (nearest rank); `answered_within_60s`: customer messages
///   followed within 60 s by a bot, agent or system message (routing and escalation tell the
///   customer with a system message);
/// - `escalated`: ever escalated; `resolved`: closed as resolved; `converted`: at least one
///   outcome, `revenue_cents` their values summed; `opt_outs`: the contact opted out after the
///   conversation started;
/// - by variant, a row is one variant of one template (`template_id`), with its conversion's
///   Wilson interval and the p-value of its conversion against the template's first variant
///   (`VariantComparison`).
package struct FunnelReportService: Sendable {
    let database: any Database

    package init(database: any Database) { self.database = database }

    /// The rows of `query`, ordered by key (null last), then by template.
    package func report(_ query: FunnelQuery) async throws -> [FunnelRowJSON] {
        let byVariant = query.dimension == .variant
        let (totals, responses, controls) = try await database.read { connection in
            let funnel = FunnelRepository(connection)
            let totals = try funnel.totals(from: query.from, to: query.to, by: query.dimension)
            let testedTemplates = Set(totals.filter { $0.key != nil }.compactMap(\.templateID))
            return (
                totals, try funnel.responses(from: query.from, to: query.to, by: query.dimension),
                try VariantComparison.controls(of: testedTemplates, TemplateRepository(connection))
            )
        }
        let responsesByRow = Dictionary(
            responses.map { (RowKey(key: $0.key, templateID: $0.templateID), $0) },
            uniquingKeysWith: { first, _ in first })
        var rows = totals.map { row in
            FunnelRowJSON(row, responsesByRow[RowKey(key: row.key, templateID: row.templateID)], byVariant: byVariant)
        }
        if byVariant { rows = VariantComparison.withPValues(rows, controls: controls) }
        return rows.sorted { left, right in
            RowKey(key: left.key, templateID: left.templateID) < RowKey(key: right.key, templateID: right.templateID)
        }
    }

    /// A row's identity: its key and, by variant, the template whose variant it is.
    struct RowKey: Hashable, Comparable {
        var key: String?
        var templateID: String?

        /// By key, null last, then by template, null last.
        static func < (left: RowKey, right: RowKey) -> Bool {
            func precedes(_ left: String?, _ right: String?) -> Bool {
                switch (left, right) {
                case (let left?, let right?): left < right
                case (.some, nil): true
                default: false
                }
            }
            return left.key == right.key ? precedes(left.templateID, right.templateID) : precedes(left.key, right.key)
        }
    }
}

/// One row of the funnel report, as the API shows it.
package struct FunnelRowJSON: Encodable, Sendable, Equatable {
    package var key: String?
    package var conversations = 0
    package var handoffsOffered = 0
    package var handoffsVerified = 0
    package var verifiedWithin90s = 0
    package var sent = 0
    package var delivered = 0
    package var replied = 0
    package var escalated = 0
    package var firstResponseP50: Int64?
    package var firstResponseP90: Int64?
    package var answeredWithin60s = 0
    package var resolved = 0
    package var converted = 0
    package var revenueCents: Int64 = 0
    package var optOuts = 0
    /// By variant: the 95% Wilson interval of converted / conversations.
    package var conversionLow: Double?
    package var conversionHigh: Double?
    /// By variant: the two-sided p-value of the pooled two-proportion z-test of this variant's
    /// conversion against the first variant of its template (nil for that one, and where undefined).
    package var pValue: Double?
    /// By variant: the template whose variant the row is (nil for conversations without a variant).
    package var templateID: String?
    /// Whether the row carries the by-variant columns.
    private var byVariant = false

    enum CodingKeys: String, CodingKey, CaseIterable {
        case key, conversations, sent, delivered, replied, escalated, resolved, converted
        case handoffsOffered = "handoffs_offered"
        case handoffsVerified = "handoffs_verified"
        case verifiedWithin90s = "verified_within_90s"
        case firstResponseP50 = "first_response_ms_p50"
        case firstResponseP90 = "first_response_ms_p90"
        case answeredWithin60s = "answered_within_60s"
        case revenueCents = "revenue_cents"
        case optOuts = "opt_outs"
        case conversionLow = "conversion_low"
        case conversionHigh = "conversion_high"
        case pValue = "p_value"
        case templateID = "template_id"
    }

    /// The columns in API.md's order (CSV's header), then, for a by-variant report, the conversion
    /// interval, the p-value and the template.
    static func columns(byVariant: Bool) -> [CodingKeys] {
        let base: [CodingKeys] = [
            .key, .conversations, .handoffsOffered, .handoffsVerified, .verifiedWithin90s, .sent, .delivered,
            .replied, .escalated, .firstResponseP50, .firstResponseP90, .answeredWithin60s, .resolved, .converted,
            .revenueCents, .optOuts,
        ]
        return base + (byVariant ? [.conversionLow, .conversionHigh, .pValue, .templateID] : [])
    }

    init(key: String?, templateID: String? = nil) {
        self.key = key
        self.templateID = templateID
    }

    /// The row of `totals` with the response columns of `responses` (none: no customer message
    /// answered or replied to) and, by variant, its conversion interval.
    init(_ totals: FunnelTotals, _ responses: FunnelResponses?, byVariant: Bool) {
        key = totals.key
        templateID = totals.templateID
        conversations = totals.conversations
        handoffsOffered = totals.handoffsOffered
        handoffsVerified = totals.handoffsVerified
        verifiedWithin90s = totals.verifiedWithin90s
        sent = totals.sent
        delivered = totals.delivered
        replied = totals.replied
        escalated = totals.escalated
        resolved = totals.resolved
        converted = totals.converted
        revenueCents = totals.revenueCents
        optOuts = totals.optOuts
        answeredWithin60s = responses?.answeredWithin60s ?? 0
        firstResponseP50 = responses?.firstResponseP50
        firstResponseP90 = responses?.firstResponseP90
        self.byVariant = byVariant
        if byVariant, let interval = Proportion(successes: converted, trials: conversations).wilsonInterval() {
            conversionLow = interval.low
            conversionHigh = interval.high
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in fields(byVariant: byVariant) {
            switch value {
            case .text(let text): try container.encode(text, forKey: key)
            case .integer(let integer): try container.encode(integer, forKey: key)
            case .real(let real): try container.encode(real, forKey: key)
            case .null: try container.encodeNil(forKey: key)
            }
        }
    }

    /// A cell of the report.
    enum Cell: Sendable, Equatable {
        case text(String), integer(Int64), real(Double), null
    }

    /// The row's cells in `columns(byVariant:)` order.
    func fields(byVariant: Bool) -> [(CodingKeys, Cell)] {
        func integer(_ value: Int) -> Cell { .integer(Int64(value)) }
        func optional(_ value: Int64?) -> Cell { value.map(Cell.integer) ?? .null }
        let cells: [Cell] = [
            key.map(Cell.text) ?? .null, integer(conversations), integer(handoffsOffered), integer(handoffsVerified),
            integer(verifiedWithin90s), integer(sent), integer(delivered), integer(replied), integer(escalated),
            optional(firstResponseP50), optional(firstResponseP90), integer(answeredWithin60s), integer(resolved),
            integer(converted), .integer(revenueCents), integer(optOuts),
        ]
        let variantCells: [Cell] =
            byVariant
            ? [
                conversionLow.map(Cell.real) ?? .null, conversionHigh.map(Cell.real) ?? .null,
                pValue.map(Cell.real) ?? .null, templateID.map(Cell.text) ?? .null,
            ] : []
        return Array(zip(Self.columns(byVariant: byVariant), cells + variantCells))
    }
}

/// `{rows}`.
package struct FunnelReportJSON: Encodable, Sendable {
    var rows: [FunnelRowJSON]

    package init(rows: [FunnelRowJSON]) { self.rows = rows }
}

/// The report as CSV (RFC 4180): a header row, then one line per row, empty cells for null.
package enum FunnelCSV {
    package static func render(_ rows: [FunnelRowJSON], byVariant: Bool) -> String {
        var lines = [FunnelRowJSON.columns(byVariant: byVariant).map(\.rawValue).joined(separator: ",")]
        for row in rows {
            lines.append(
                row.fields(byVariant: byVariant).map { _, cell in
                    switch cell {
                    case .text(let text): quoted(text)
                    case .integer(let integer): String(integer)
                    case .real(let real): String(real)
                    case .null: ""
                    }
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
