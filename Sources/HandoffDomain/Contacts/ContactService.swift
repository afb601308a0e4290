package import DatabaseDriver
import HandoffCore
import Storage

/// The contacts API (API.md "Identity, attribution, outcomes, reports"): a person by id or by the
/// business's external id, with the state of their consent per program, and their conversations.
/// The unmasked phone is for admin keys only: the edge says whether the caller may see it.
package struct ContactService: Sendable {
    let database: any Database

    package init(database: any Database) { self.database = database }

    /// The contact with `id`; 404 `contact_not_found`.
    package func contact(id: String, revealPhone: Bool) async throws -> ContactEnvelopeJSON {
        try await details(revealPhone: revealPhone) { try ChatRepository($0).contact(id: id) }
    }

    /// The contact the business knows by `externalID`; 404 `contact_not_found`.
    package func contact(externalID: String, revealPhone: Bool) async throws -> ContactEnvelopeJSON {
        try await details(revealPhone: revealPhone) { try ChatRepository($0).contact(externalID: externalID) }
    }

    /// A page of the contact's conversations, oldest first; 404 `contact_not_found`.
    package func conversations(contactID: String, after: String?, limit: Int) async throws -> ConversationPageJSON {
        let afterSeq = try Cursor.decode(after)
        let (contact, page) = try await database.read { connection in
            let chat = ChatRepository(connection)
            guard let contact = try chat.contact(id: contactID) else { throw Self.notFound }
            return (contact, try chat.conversations(contactID: contactID, afterSeq: afterSeq, limit: limit))
        }
        return ConversationPageJSON(
            conversations: page.map { ConversationJSON($0, contact: contact) },
            nextAfter: page.count == limit ? page.last.map { Cursor.encode($0.seq) } : nil)
    }

    private func details(
        revealPhone: Bool, _ find: @escaping @Sendable (any Connection) throws -> ContactRecord?
    ) async throws -> ContactEnvelopeJSON {
        try await database.read { connection in
            guard let contact = try find(connection) else { throw Self.notFound }
            let consents = try contact.phoneE164.map { try Self.consents(phone: $0, connection: connection) } ?? []
            return ContactEnvelopeJSON(
                contact: ContactJSON(contact, consents: consents, phone: revealPhone ? contact.phoneE164 : nil))
        }
    }

    /// Where the number stands with each program it ever consented to or left, in the order the
    /// programs first appear in its ledger: the newest entry's state, `revoked` after a STOP.
    static func consents(phone: String, connection: any Connection) throws -> [ContactConsentJSON] {
        let suppressed = try SuppressionRepository(connection).isSuppressed(phone)
        var latest: [String: ConsentRecord] = [:]
        var programs: [String] = []
        for entry in try HandoffRepository(connection).consents(phone: phone) {
            if latest[entry.program] == nil { programs.append(entry.program) }
            latest[entry.program] = entry
        }
        return programs.compactMap { program in
            latest[program].map { entry in
                ContactConsentJSON(
                    program: program,
                    state: suppressed ? ConsentState.revoked.rawValue : ConsentState(ledgerEvent: entry.event).rawValue,
                    updatedAt: Timestamp(unixMilliseconds: entry.createdAt).description)
            }
        }
    }

    private static var notFound: UseCaseError {
        UseCaseError(.notFound, code: "contact_not_found", message: "No such contact.")
    }
}
