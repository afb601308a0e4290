import DatabaseDriver
import Foundation
import HandoffCore
import SQLite
import Storage
import TestSupport
import Testing

/// HandoffCore's states go into the project's schema (its CHECK constraints accept every case)
/// and come back through the repositories as they went in; a value none of them spells is an
/// error naming its column.
@Suite struct StoredStatesTests {
    let directory: TemporaryDirectory
    let connection: SQLiteConnection

    init() throws {
        directory = try TemporaryDirectory()
        connection = try SQLiteConnection(path: directory.file("states.sqlite").path)
        try Migrator(directory: MigratorTests.projectMigrations.path).migrate(connection)
        try ChatRepository(connection).insert(
            ContactRecord(id: "ct", phoneE164: nil, locale: nil, timeZone: nil, createdAt: 0))
    }

    @Test func everyConversationStateAndChannelRoundTrips() throws {
        let chat = ChatRepository(connection)
        for state in ConversationState.allCases {
            for channel in Channel.allCases {
                let id = "conv_\(state)_\(channel)"
                _ = try chat.insert(
                    ConversationRecord(
                        id: id, contactID: "ct", state: state, activeChannel: channel, createdAt: 0, updatedAt: 0))
                let stored = try #require(try chat.conversation(id: id))
                #expect(stored.state == state && stored.activeChannel == channel)
            }
        }
        #expect(try chat.conversations(state: .escalated, queue: nil, afterSeq: 0, limit: 10).count == 2)
    }

    @Test func everyDirectionChannelAndAuthorRoundTrips() throws {
        let chat = ChatRepository(connection)
        _ = try chat.insert(ConversationRecord(id: "conv", contactID: "ct", state: .open, createdAt: 0, updatedAt: 0))
        var inserted: [MessageRecord] = []
        for direction in Direction.allCases {
            for channel in Channel.allCases {
                for author in Author.allCases {
                    inserted.append(
                        try chat.insert(
                            MessageRecord(
                                id: "msg_\(direction)_\(channel)_\(author)", conversationID: "conv",
                                direction: direction, channel: channel, author: author, body: "b", status: "sent",
                                createdAt: 0, updatedAt: 0),
                            clientKey: nil))
                }
            }
        }
        #expect(try chat.messages(conversationID: "conv", afterSeq: 0, limit: 100) == inserted)
        let agents = try chat.latestMessages(conversationID: "conv", authors: [.agent], channel: .sms, limit: 10)
        #expect(agents.map(\.id) == ["msg_outbound_sms_agent", "msg_inbound_sms_agent"])
    }

    @Test func everyOutboxKindAndStateRoundTrips() throws {
        let outbox = OutboxRepository(connection)
        for kind in OutboxKind.allCases {
            for state in OutboxState.allCases {
                let id = try outbox.enqueue(kind: kind, payload: "{}", messageID: nil, requestID: nil, now: 0)
                try connection.execute("UPDATE outbox SET state = ? WHERE id = ?", [.text(state), .integer(id)])
                let stored = try #require(try outbox.item(id: id))
                #expect(stored.kind == kind && stored.state == state)
                #expect(try outbox.list(state: state, kind: kind, afterID: 0, limit: 10).map(\.id) == [id])
            }
        }
    }

    @Test func aStateNoCaseSpellsIsAnErrorNamingTheColumn() throws {
        let chat = ChatRepository(connection)
        _ = try chat.insert(ConversationRecord(id: "conv", contactID: "ct", state: .open, createdAt: 0, updatedAt: 0))
        // The schema would refuse it; a database written by another version might not.
        try connection.execute("PRAGMA ignore_check_constraints = ON")
        try connection.execute("UPDATE conversations SET state = 'archived' WHERE id = ?", ["conv"])
        let error = try #require(throws: StorageError.self) { try chat.conversation(id: "conv") }
        #expect(error.kind == .decoding)
        #expect(error.message == "column \"state\" is text, not ConversationState")
    }
}
