import Synchronization

/// Business counters for `/metrics`: what happened to texts, consents and conversations, and
/// how long the gateway takes.
/// Each name is declared once with its help text; labels are small, fixed sets (never a phone
/// number or an id).
package final class ServiceCounters: Sendable {
    package init() {}

    /// Every counter, with its help text.
    static let descriptions: [String: String] = [
        "handoff_sms_sent_total": "Texts the gateway accepted.",
        "handoff_sms_failed_total": "Texts the gateway refused or that were given up on, by error class.",
        "handoff_sms_suppressed_total": "Texts not sent because the number is suppressed.",
        "handoff_sms_deferred_total": "Texts deferred by quiet hours or the daily cap.",
        "handoff_webhook_signature_failures_total": "Gateway webhooks refused for their signature, by route.",
        "handoff_inbound_duplicates_total": "Inbound gateway events dropped as repeats of a MessageSid.",
        "handoff_optins_total": "Opt-in steps, by step (requested, confirmed) and method.",
        "handoff_optouts_total": "Opt-outs, by method.",
        "handoff_replies_matched_total": "Texts that matched an expected answer of a recent proactive text.",
        "handoff_reply_confirmations_refused_total":
            "YES replies that confirmed no verification (its session must type the code), by reason.",
        "handoff_escalations_total": "Conversations handed to humans, by reason.",
        "handoff_classifier_requests_total":
            "Messages for the external classifier, by result (reclassified, agreed, unknown_intent; timeout, "
            + "error and busy, too many waiting, fall back to the rules).",
        "handoff_intent_actions_total":
            "Intent actions routing did, by intent, action (queue, template) and result (done; unavailable: "
            + "no approved template of that name renders).",
        "handoff_wait_notices_total":
            "Wait-time notices, by text: system (the built-in text), template (the queue's wait_notice_template), "
            + "fallback (the system text: the queue's template has no approved version that renders).",
        "handoff_funnel_total": "The handoff funnel: offered (code asked), verified, first SMS reply.",
        "handoff_offers_total": "Handoff offers shown (\"Can we text you the answer?\"), by reason.",
        "handoff_offers_declined_total": "Handoff offers the visitor answered with \"No thanks\".",
        "handoff_offers_verified_within_90s_total": "Phones verified within 90 seconds of the offer, by its reason.",
        "handoff_code_caps_reached_total": "Code requests refused (429) by a cap on codes texted, by cap.",
        "handoff_unsupported_numbers_total": "Code requests refused (422) for the kind of number (toll_free, ...).",
    ]

    private let values = Mutex([String: Int]())
    /// How long the gateway took to answer a send, by result (`sent` or the refusal's class).
    let gatewaySendDuration = LatencyHistogram(
        name: "handoff_gateway_send_duration_seconds", help: "Time the SMS gateway took to answer a send, by result.",
        label: "result")
    /// How long after an offer the visitor's phone was verified, by the offer's reason.
    let offerToVerify = LatencyHistogram(
        name: "handoff_offer_to_verify_seconds", help: "Time from a handoff offer to the verified phone, by reason.",
        label: "reason", bucketBounds: [5, 10, 20, 30, 45, 60, 90, 120, 300, 600, 1800])

    /// Adds one to `name` with `labels` (label values are short words from the code).
    package func increment(_ name: String, _ labels: [(String, String)] = []) {
        let key = name + (labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}")
        values.withLock { $0[key, default: 0] += 1 }
    }

    /// The Prometheus text of every declared counter (zero when nothing happened yet).
    package func render() -> String {
        let snapshot = values.withLock { $0 }
        var text = ""
        for (name, help) in Self.descriptions.sorted(by: { $0.key < $1.key }) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            let series = snapshot.filter { $0.key == name || $0.key.hasPrefix(name + "{") }.sorted { $0.key < $1.key }
            if series.isEmpty { text += "\(name) 0\n" }
            for (key, value) in series { text += "\(key) \(value)\n" }
        }
        return text + gatewaySendDuration.render() + offerToVerify.render()
    }
}
