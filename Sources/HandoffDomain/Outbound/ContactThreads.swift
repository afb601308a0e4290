import DatabaseDriver
import HandoffCore
import Storage

/// Where texts we start go: the contact that owns a number (made when we never saw it), and
/// that contact's conversation (the open one, else the newest closed one reopened with its whole
/// history, else a new one), so the reply resumes the thread an agent sees.
enum ContactThreads {
    /// The contact of `phone`, created when the number is new.
    static func contact(phone: String, connection: any Connection, now: Int64) throws -> ContactRecord {
        let chat = ChatRepository(connection)
        if let id = try HandoffRepository(connection).contact(phone: phone), let contact = try chat.contact(id: id) {
            return contact
        }
        let contact = ContactRecord(
            id: Identifiers.make("ct"), phoneE164: phone, locale: nil, timeZone: nil, createdAt: now)
        try chat.insert(contact)
        return contact
    }

    /// The id of the conversation a text to `contactID` joins; one it opens records `campaign`.
    static func conversation(
        contactID: String, timeline: TimelineWriter, now: Int64, campaign: String? = nil
    ) throws -> String {
        let chat = ChatRepository(timeline.connection)
        if let open = try chat.openConversation(contactID: contactID) { return open.id }
        if var closed = try chat.latestConversation(contactID: contactID) {
            closed.state = .open
            closed.closedAt = nil
            closed.updatedAt = now
            try timeline.update(closed)
            return closed.id
        }
        return try chat.insert(
            ConversationRecord(
                id: Identifiers.make("conv"), contactID: contactID, state: .open, activeChannel: .sms, createdAt: now,
                updatedAt: now, attribution: ConversationAttribution(campaign: campaign))
        ).id
    }
}
