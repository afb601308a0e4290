package import DatabaseDriver
public import Foundation
import HandoffCore
import Storage

/// What operators do, shared by the admin API (`/v1/admin/...`) and the command line: the outbox
/// and its dead letters (list, replay, discard), suppressions (list, add, remove, each audited), and
/// data subject requests (export, erase). Failures are `UseCaseError`s: the API answers them as
/// API.md says, the command line prints their message.
public struct Administration: Sendable {
    let database: any Database
    let webhooks: EventWebhooks
    let defaultRegion: String
    /// Wakes live streams and the dispatcher in a running daemon; nil from the command line (the
    /// daemon's dispatcher polls, and streams read the event log).
    let events: EventHub?
    let outboxChanged: @Sendable () -> Void

    package init(
        database: any Database, webhooks: EventWebhooks, defaultRegion: String, events: EventHub?,
        outboxChanged: @escaping @Sendable () -> Void
    ) {
        self.database = database
        self.webhooks = webhooks
        self.defaultRegion = defaultRegion
        self.events = events
        self.outboxChanged = outboxChanged
    }

    // MARK: Outbox

    /// Outbox rows by id, optionally of one state and kind.
    public func outbox(state: String?, kind: String?, after: String?, limit: Int) async throws -> OutboxPageJSON {
        let state = try state.map { text in
            guard let state = OutboxState(rawValue: text) else {
                throw Self.invalid("state must be pending, sending, done, dead or discarded.", field: "state")
            }
            return state
        }
        let kind = try kind.map { text in
            guard let kind = OutboxKind(rawValue: text) else {
                throw Self.invalid("kind must be sms or webhook.", field: "kind")
            }
            return kind
        }
        let afterID: Int64 =
            try after.map { text in
                guard let id = Int64(text), id >= 0 else {
                    throw Self.invalid("after is not a cursor from this list.", field: "after")
                }
                return id
            } ?? 0
        let items = try await database.read {
            try OutboxRepository($0).list(state: state, kind: kind, afterID: afterID, limit: limit + 1)
        }
        return OutboxPageJSON(
            items: items.prefix(limit).map(OutboxItemJSON.init),
            nextAfter: items.count > limit ? items[limit - 1].id.description : nil)
    }

    /// Queues a dead-lettered row again from attempt one.
    public func replay(id text: String) async throws -> OutboxItemJSON {
        let id = try Self.outboxID(text)
        let now = ChatService.currentMilliseconds()
        let item = try await database.write { connection -> OutboxItem? in
            let outbox = OutboxRepository(connection)
            guard try outbox.item(id: id) != nil else { return nil }
            guard try outbox.replay(id: id, now: now) else {
                throw UseCaseError(
                    .conflict, code: "not_dead_lettered", message: "Only a dead-lettered row can be replayed.")
            }
            return try outbox.item(id: id)
        }
        guard let item else { throw Self.outboxNotFound }
        outboxChanged()
        return OutboxItemJSON(item)
    }

    /// Gives up on a pending or dead-lettered row; a text's message is marked failed.
    public func discard(id text: String, reason: String?) async throws -> OutboxItemJSON {
        let id = try Self.outboxID(text)
        let now = ChatService.currentMilliseconds()
        let webhooks = webhooks
        let (item, event) = try await database.write { connection -> (OutboxItem?, ConversationEventRecord?) in
            let outbox = OutboxRepository(connection)
            guard try outbox.item(id: id) != nil else { return (nil, nil) }
            guard
                try outbox.discard(
                    id: id, reason: "discarded by an operator: " + (reason ?? "no reason given"), now: now)
            else {
                throw UseCaseError(
                    .conflict, code: "not_discardable", message: "Only a pending or dead-lettered row can be discarded."
                )
            }
            let item = try outbox.item(id: id)
            guard item?.kind == .sms, let messageID = item?.messageID,
                let message = try ChatRepository(connection).message(id: messageID)
            else { return (item, nil) }
            let event = try SMSService.advance(
                message, to: .failed, errorCode: nil, connection: connection, webhooks: webhooks, now: now, force: true)
            return (item, event)
        }
        guard let item else { throw Self.outboxNotFound }
        if let event { events?.publish([event]) }
        return OutboxItemJSON(item)
    }

    // MARK: Suppressions

    /// Suppressions, newest first.
    public func suppressions(after: String?, limit: Int) async throws -> SuppressionPageJSON {
        let cursor = try after.map(Self.suppressionCursor)
        let rows = try await database.read { try SuppressionRepository($0).list(after: cursor, limit: limit + 1) }
        let page = rows.prefix(limit)
        return SuppressionPageJSON(
            suppressions: page.map(SuppressionJSON.init),
            nextAfter: rows.count > limit ? page.last.map { "\($0.createdAt):\($0.phoneE164)" } : nil)
    }

    /// One number's suppression (if any) and the audit of every change to it.
    public func suppression(phone text: String) async throws -> SuppressionDetailJSON {
        let phone = try suppressionKey(text)
        return try await database.read { connection in
            let repository = SuppressionRepository(connection)
            return SuppressionDetailJSON(
                phone: phone, suppression: try repository.suppression(phone).map(SuppressionJSON.init),
                history: try repository.history(phone).map(SuppressionChangeJSON.init))
        }
    }

    /// Suppresses a number at an operator's request; `created` is false when it already was.
    public func suppress(phone text: String, reason: String?, actor: String) async throws -> (
        SuppressionDetailJSON, created: Bool
    ) {
        let phone = try suppressionKey(text)
        let reason = try Self.reason(reason)
        let now = ChatService.currentMilliseconds()
        let created = try await database.write {
            try SuppressionRepository($0).add(
                phone, reason: "operator", source: reason, actor: actor, requestID: RequestOrigin.requestID, now: now)
        }
        return (try await suppression(phone: phone), created)
    }

    /// Lifts a suppression at an operator's request (the reason is required and audited).
    public func unsuppress(phone text: String, reason: String?, actor: String) async throws -> SuppressionDetailJSON {
        let phone = try suppressionKey(text)
        let reason = try Self.reason(reason)
        let now = ChatService.currentMilliseconds()
        let removed = try await database.write {
            try SuppressionRepository($0).remove(
                phone, reason: reason, actor: actor, requestID: RequestOrigin.requestID, now: now)
        }
        guard removed else {
            throw UseCaseError(.notFound, code: "not_suppressed", message: "That number is not suppressed.")
        }
        return try await suppression(phone: phone)
    }

    // MARK: Data subject requests

    /// A number's consent ledger, oldest first, as proof (`handoff consents export`).
    public func consentLedger(phone text: String) async throws -> ConsentExportJSON {
        let phone = try parsePhone(text)
        let consents = try await database.read { try HandoffRepository($0).consents(phone: phone) }
        return ConsentExportJSON(phone: phone, consents: consents.map(ConsentJSON.init))
    }

    /// Everything held about a number, as JSON grouped by table.
    public func exportContact(phone text: String) async throws -> Data {
        let phone = try parsePhone(text)
        let tables = try await database.read { try PersonalDataRepository($0).export(phone: phone) }
        var object: [String: Any] = ["phone": phone]
        for (table, rows) in tables { object[table] = rows.map { $0.mapValues(Self.json) } }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Erases a number's personal data in one transaction, keeping the consent ledger and a hashed
    /// suppression; returns the rows removed.
    public func eraseContact(phone text: String) async throws -> Int {
        let phone = try parsePhone(text)
        let now = ChatService.currentMilliseconds()
        return try await database.write { try PersonalDataRepository($0).erase(phone: phone, now: now) }
    }

    /// The sentence to show for a failure on the command line.
    public static func describe(_ error: any Error) -> String {
        (error as? UseCaseError)?.message ?? "\(error)"
    }

    // MARK: Input

    private func parsePhone(_ text: String) throws -> String {
        do {
            return try PhoneNumber(parsing: text, defaultRegion: defaultRegion).e164
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: "phone")
        }
    }

    /// A phone number, or the hashed form an erased number's suppression keeps.
    private func suppressionKey(_ text: String) throws -> String {
        if text.hasPrefix("sha256:"), text.count == 71 { return text }
        return try parsePhone(text)
    }

    private static func reason(_ reason: String?) throws -> String {
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty,
            reason.count <= 500
        else { throw invalid("Give a reason (1 to 500 characters): it is kept in the audit.", field: "reason") }
        return reason
    }

    private static func outboxID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw outboxNotFound }
        return id
    }

    private static func suppressionCursor(_ text: String) throws -> (createdAt: Int64, phone: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let createdAt = Int64(parts[0]) else {
            throw invalid("after is not a cursor from this list.", field: "after")
        }
        return (createdAt, String(parts[1]))
    }

    private static let outboxNotFound = UseCaseError(
        .notFound, code: "outbox_item_not_found", message: "No such outbox row.")

    private static func invalid(_ message: String, field: String) -> UseCaseError {
        UseCaseError(.invalid, code: "invalid_field", message: message, field: field)
    }

    private static func json(_ value: DatabaseValue) -> Any {
        switch value {
        case .null: NSNull()
        case .integer(let integer): integer
        case .real(let real): real
        case .text(let text): text
        case .blob(let bytes): Data(bytes).base64EncodedString()
        }
    }
}
