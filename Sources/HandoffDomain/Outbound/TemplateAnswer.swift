import DatabaseDriver
import HandoffCore
import Storage

/// Replies that act (API.md "Proactive texts"): a text that is one of the expected answers of a
/// template we texted the number within 72 hours (the whole message, read as STOP is) becomes
/// `reply.matched` for the business and the agents, and gets the answer's `reply_body` if set.
/// Compliance keywords are settled before an answer is looked for: STOP stays STOP, and a YES
/// confirms a pending opt-in first.
struct TemplateAnswer {
    /// The text answered and what the answer means.
    let outbound: OutboundRecord
    let reply: TemplateReply

    /// `reply.matched` data.
    struct MatchedJSON: Encodable {
        var outboundID: String
        var templateID: String
        var outcome: String
        var message: MessageJSON

        enum CodingKeys: String, CodingKey {
            case outcome, message
            case outboundID = "outbound_id"
            case templateID = "template_id"
        }
    }

    /// How long after a text a reply still answers it.
    static let replyWindowMilliseconds = Int64(TemplateContent.replyWindowHours) * 3_600_000

    /// The answer `body` gives to the newest text to `phone` in the reply window whose template
    /// expects it, if any (an older text's answer still counts when a newer text expects others).
    static func matching(_ body: String, from phone: String, connection: any Connection, now: Int64) throws
        -> TemplateAnswer?
    {
        let since = now - replyWindowMilliseconds
        let templates = TemplateRepository(connection)
        for outbound in try OutboundRepository(connection).answerable(to: phone, since: since) {
            guard
                let template = try templates.template(id: outbound.templateID, version: outbound.templateVersion),
                let reply = try TemplateService.content(of: template.version).reply(matching: body)
            else { continue }
            return TemplateAnswer(outbound: outbound, reply: reply)
        }
        return nil
    }

    /// Where an unmatched reply nobody answered in time goes: the fallback queue of the template of
    /// the newest text we sent into `conversation` within the reply window, if it names one.
    static func fallbackQueue(for conversation: ConversationRecord, connection: any Connection, now: Int64) throws
        -> String?
    {
        guard let phone = try ChatRepository(connection).contact(id: conversation.contactID)?.phoneE164,
            let outbound = try OutboundRepository(connection).latestReleased(
                to: phone, conversationID: conversation.id, since: now - replyWindowMilliseconds)
        else { return nil }
        return try TemplateRepository(connection).template(id: outbound.templateID, version: outbound.templateVersion)?
            .version.fallbackQueue
    }

    /// Inside the transaction that stored `message` (the answer, from `phone`): the `reply.matched`
    /// event on its conversation and business webhook, and the `reply_body` (with `{{brand}}`)
    /// queued as a reply unless the number is suppressed. The answer was acted on: it does not wait
    /// for a bot or agent (nor go to the fallback queue when nobody answers).
    func act(on message: MessageRecord, from phone: String, brand: String, timeline: TimelineWriter, now: Int64)
        throws
    {
        let matched = MatchedJSON(
            outboundID: outbound.id, templateID: outbound.templateID, outcome: reply.outcome,
            message: MessageJSON(message))
        try timeline.appendEvent(conversationID: message.conversationID, type: "reply.matched", matched, now: now)
        try timeline.recordWebhook("reply.matched", matched, now: now)
        try ChatRepository(timeline.connection).endWait(
            conversationID: message.conversationID, startedAt: message.createdAt)
        guard let replyBody = reply.replyBody,
            !(try SuppressionRepository(timeline.connection).isSuppressed(phone))
        else { return }
        let text = try TemplateBody(parsing: replyBody, field: "reply_body").rendered {
            $0 == TemplateContent.brandVariable ? brand : ""
        }
        try SMSService.enqueue(
            conversationID: message.conversationID, to: phone, body: text, author: .bot, priority: 0,
            timeline: timeline, now: now)
    }
}
