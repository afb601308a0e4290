import DatabaseDriver
import HandoffCore
import Storage

/// Wait-time notices: a queue's expected wait is how long the customer waiting longest in it for
/// a first human answer has waited (since their oldest unanswered message). Once that reaches the
/// queue's `wait_notice_after`, each customer waiting in the queue gets the notice once per
/// conversation, in their language, saying about how long (that wait, in minutes, rounded up): by
/// text on SMS, never to a suppressed number (the web chat instead), else in the web chat.
/// The notice is the system text, or the queue's `wait_notice_template` (`{{brand}}`,
/// `{{minutes}}`) when it has an approved version that renders; when it has none, the system text
/// (counted as `fallback`).
enum WaitNotices {
    /// Notices sent per queue per sweep (the next sweep sends the rest).
    static let batchSize = 100

    /// Whether some customer is due the notice.
    static func areDue(_ catalog: QueueCatalog, _ connection: any Connection, now: Int64) throws -> Bool {
        let notices = WaitNoticeRepository(connection)
        for queue in catalog.queues where try expectedWait(queue, notices, now: now) != nil {
            if !(try notices.unnoticed(queue: queue.name, limit: 1).isEmpty) { return true }
        }
        return false
    }

    /// Sends the notices due, each with its conversation stamped.
    static func send(
        _ catalog: QueueCatalog, brand: String, counters: ServiceCounters, timeline: TimelineWriter, now: Int64
    ) throws {
        let notices = WaitNoticeRepository(timeline.connection)
        let chat = ChatRepository(timeline.connection)
        for queue in catalog.queues {
            guard let wait = try expectedWait(queue, notices, now: now) else { continue }
            let minutes = max(1, (wait + 59_999) / 60_000)
            for id in try notices.unnoticed(queue: queue.name, limit: batchSize) {
                guard let conversation = try chat.conversation(id: id) else { continue }
                let contact = try chat.contact(id: conversation.contactID)
                let text = try notice(
                    queue, minutes: minutes, brand: brand, conversation: conversation, contact: contact,
                    counters: counters, timeline: timeline)
                try Routing.tell(text, conversation: conversation, contact: contact, timeline: timeline, now: now)
                try notices.markSent(conversationID: id, now: now)
            }
        }
    }

    /// The queue's notice for `contact`: its template's text when it renders, else the system text.
    private static func notice(
        _ queue: Queue, minutes: Int64, brand: String, conversation: ConversationRecord, contact: ContactRecord?,
        counters: ServiceCounters, timeline: TimelineWriter
    ) throws -> String {
        if let template = queue.waitNoticeTemplate {
            if let text = try ApprovedTemplateText.render(
                template, offered: [minutesVariable: String(minutes)], brand: brand, conversation: conversation,
                contact: contact, connection: timeline.connection)
            {
                timeline.count("handoff_wait_notices_total", [("text", "template")], in: counters)
                return text
            }
            timeline.count("handoff_wait_notices_total", [("text", "fallback")], in: counters)
        } else {
            timeline.count("handoff_wait_notices_total", [("text", "system")], in: counters)
        }
        return SystemTexts(brand: brand, locale: contact?.locale).waitNotice(minutes: minutes)
    }

    /// The template variable the notice fills with the expected wait in minutes (besides `brand`).
    static let minutesVariable = "minutes"

    /// The queue's expected wait when it reached the queue's threshold; nil otherwise (or when the
    /// queue sends no notices).
    private static func expectedWait(_ queue: Queue, _ notices: WaitNoticeRepository, now: Int64) throws -> Int64? {
        guard let threshold = queue.waitNoticeAfterMilliseconds, let oldest = try notices.oldestWait(queue: queue.name)
        else { return nil }
        let wait = now - oldest
        return wait >= threshold ? wait : nil
    }
}
