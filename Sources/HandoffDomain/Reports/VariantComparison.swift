import HandoffCore
import Storage

/// The A/B test in a by-variant funnel report: each variant's conversion (converted /
/// conversations) against its template's first variant, the control, by the pooled two-proportion
/// z-test (`Proportion.pValue(against:)`).
enum VariantComparison {
    /// The first variant of each template in `templateIDs` that has variants, as the version that
    /// serves declares them (the approved one, else the current draft).
    static func controls(of templateIDs: Set<String>, _ templates: TemplateRepository) throws -> [String: String] {
        var controls: [String: String] = [:]
        for id in templateIDs {
            guard let current = try templates.template(id: id) else { continue }
            let serving =
                try current.approvedVersion.flatMap { try templates.template(id: id, version: $0) } ?? current
            if let first = try TemplateService.content(of: serving.version).variants.first {
                controls[id] = first.id
            }
        }
        return controls
    }

    /// `rows` (one per template and variant) with `p_value` set on every variant whose template's
    /// control has a row; nil for the control itself and where the test is undefined.
    static func withPValues(_ rows: [FunnelRowJSON], controls: [String: String]) -> [FunnelRowJSON] {
        var controlRows: [String: Proportion] = [:]
        for row in rows {
            if let template = row.templateID, let key = row.key, controls[template] == key {
                controlRows[template] = conversion(row)
            }
        }
        return rows.map { row in
            var row = row
            if let template = row.templateID, row.key != controls[template], let control = controlRows[template] {
                row.pValue = conversion(row).pValue(against: control)
            }
            return row
        }
    }

    private static func conversion(_ row: FunnelRowJSON) -> Proportion {
        Proportion(successes: row.converted, trials: row.conversations)
    }
}
