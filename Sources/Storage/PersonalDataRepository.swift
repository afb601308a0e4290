import Crypto
public import DatabaseDriver
import Foundation
import HandoffCore

/// Data subject requests for one phone number: everything we hold about it, and erasing it.
///
/// Erasure removes the contact, its sessions, conversations, messages, events, outcomes, queued
/// texts, verifications and raw webhooks. It keeps the consent ledger (append-only legal proof) and
/// turns a suppression into a hashed one, so a STOP is still honoured after the number is gone.
public struct PersonalDataRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// The hashed form a suppression takes after erasure: `sha256:` and the hex digest.
    public static func hashedPhone(_ phone: String) -> String {
        "sha256:" + SHA256.hash(data: Data(phone.utf8)).hexString
    }

    /// Every row about `phone`, grouped by table, as column → value.
    public func export(phone: String) throws(StorageError) -> [String: [[String: DatabaseValue]]] {
        let scope = try self.scope(phone)
        func rows(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> [[String: DatabaseValue]] {
            try connection.query(sql, values).map { Dictionary(uniqueKeysWithValues: zip($0.columns.names, $0.values)) }
        }
        var result: [String: [[String: DatabaseValue]]] = [:]
        result["contacts"] = try rows("SELECT * FROM contacts WHERE phone_e164 = ?", [.text(phone)])
        var sessions: [[String: DatabaseValue]] = []
        for id in scope.contacts {
            sessions += try rows(
                "SELECT id, page_url, display_name, created_at, last_seen_at FROM sessions WHERE contact_id = ?",
                [.text(id)])
        }
        var conversations: [[String: DatabaseValue]] = []
        var outcomes: [[String: DatabaseValue]] = []
        for id in scope.conversations {
            conversations += try rows("SELECT * FROM conversations WHERE id = ?", [.text(id)])
            outcomes += try rows("SELECT * FROM outcomes WHERE conversation_id = ? ORDER BY created_at", [.text(id)])
        }
        var messages: [[String: DatabaseValue]] = []
        var webhooks: [[String: DatabaseValue]] = []
        for id in scope.messages {
            messages += try rows("SELECT * FROM messages WHERE id = ?", [.text(id)])
            webhooks += try rows("SELECT * FROM inbound_events WHERE message_id = ?", [.text(id)])
        }
        result["sessions"] = sessions
        result["conversations"] = conversations
        result["outcomes"] = outcomes
        result["messages"] = messages
        result["inbound_webhooks"] = webhooks
        result["consents"] = try rows("SELECT * FROM consents WHERE phone_e164 = ? ORDER BY seq", [.text(phone)])
        result["suppressions"] = try rows(
            "SELECT * FROM suppressions WHERE phone_e164 IN (?, ?)", [.text(phone), .text(Self.hashedPhone(phone))])
        result["suppression_changes"] = try rows(
            "SELECT * FROM suppression_changes WHERE phone_e164 IN (?, ?) ORDER BY seq",
            [.text(phone), .text(Self.hashedPhone(phone))])
        return result
    }

    /// Erases `phone`'s personal data (see the type's notes); returns how many rows went.
    @discardableResult
    public func erase(phone: String, now: Int64) throws(StorageError) -> Int {
        let scope = try self.scope(phone)
        var removed = 0
        for id in scope.messages {
            removed += try connection.execute("DELETE FROM outbox WHERE message_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM inbound_events WHERE message_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM messages WHERE id = ?", [.text(id)])
        }
        for id in scope.conversations {
            removed += try connection.execute("DELETE FROM conversation_events WHERE conversation_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM handoff_offers WHERE conversation_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM outcomes WHERE conversation_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM messages WHERE conversation_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM conversations WHERE id = ?", [.text(id)])
        }
        for id in scope.contacts {
            let sessions = try ids("SELECT id FROM sessions WHERE contact_id = ?", [.text(id)])
            for session in sessions {
                removed += try connection.execute("DELETE FROM verifications WHERE session_id = ?", [.text(session)])
                removed += try connection.execute("DELETE FROM handoff_offers WHERE session_id = ?", [.text(session)])
            }
            removed += try connection.execute("DELETE FROM sessions WHERE contact_id = ?", [.text(id)])
            removed += try connection.execute("DELETE FROM contacts WHERE id = ?", [.text(id)])
        }
        removed += try connection.execute("DELETE FROM verifications WHERE phone_e164 = ?", [.text(phone)])
        try SuppressionRepository(connection).pseudonymize(phone)
        return removed
    }

    /// The contacts, conversations and messages that concern `phone`.
    private func scope(_ phone: String) throws(StorageError) -> (
        contacts: [String], conversations: [String], messages: [String]
    ) {
        let contacts = try ids("SELECT id FROM contacts WHERE phone_e164 = ?", [.text(phone)])
        var conversations: [String] = []
        for id in contacts {
            conversations += try ids("SELECT id FROM conversations WHERE contact_id = ?", [.text(id)])
        }
        var messages = try ids("SELECT id FROM messages WHERE to_e164 = ?", [.text(phone)])
        for id in conversations {
            messages += try ids("SELECT id FROM messages WHERE conversation_id = ?", [.text(id)])
        }
        return (contacts, conversations, Array(Set(messages)).sorted())
    }

    /// The `id` column of every row of `sql`.
    private func ids(_ sql: String, _ values: [DatabaseValue]) throws(StorageError) -> [String] {
        try connection.query(sql, values).map { row throws(StorageError) in try row.get("id", as: String.self) }
    }
}
