import DatabaseDriver
import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// `GET /v1/conversations` reads a page's contacts, suppressions, newest messages and waits in one
/// statement each (`ChatService.listed`); a page of many conversations of every shape still says
/// of each what it said when they were read one by one.
@Suite struct ConversationListTests {
    /// What one conversation of the page was made to be.
    struct Shape {
        var id: String
        var lastBody: String?
        var waiting: Bool
        var handoff: String
    }

    /// Eighteen web chats (no message, a waiting question, a question the bot answered), two that
    /// continue by text and one whose visitor stopped texts: each listed with its contact, handoff,
    /// last message and wait, the same on a page of 200, on pages of 4 and 7 followed by their
    /// cursors, and in `GET /v1/conversations/{id}`.
    @Test func aPageOfManyConversationsCarriesWhatEachOneDoes() async throws {
        try await TestApplication.inProcess { _, client, simulator in
            var shapes: [Shape] = []
            for index in 0..<18 {
                let (cookie, session) = try await API.startSession(client)
                let id = try #require(session["conversation_id"] as? String)
                var shape = Shape(id: id, lastBody: nil, waiting: false, handoff: "none")
                if index % 3 != 0 {
                    let body = #"{"body":"Question \#(index)?"}"#
                    _ = try await client.request("POST", "/v1/messages", headers: API.json(cookie), body: body)
                    shape.lastBody = "Question \(index)?"
                    shape.waiting = true
                }
                if index % 3 == 2 {
                    _ = try await client.request(
                        "POST", "/v1/conversations/\(id)/messages", headers: API.agent,
                        body: #"{"body":"Answer \#(index).","author":"bot"}"#)
                    shape.lastBody = "Answer \(index)."
                    shape.waiting = false
                }
                shapes.append(shape)
            }
            for (index, phone) in ["+14155550171", "+14155550172", "+14155550173"].enumerated() {
                let (cookie, id) = try await API.activeSession(phone, client, simulator)
                var shape = Shape(id: id, lastBody: nil, waiting: false, handoff: "active")
                if index == 2 {
                    #expect(try await client.request("DELETE", "/v1/handoff", headers: API.json(cookie)).status == 200)
                    shape.handoff = "opted_out"
                }
                shapes.append(shape)
            }

            let all = try await Self.page(client, "limit=200")
            #expect(all.next == nil && all.conversations.count == shapes.count)
            for size in [4, 7] {
                var paged: [[String: Any]] = []
                var cursor: String?
                repeat {
                    let page = try await Self.page(client, "limit=\(size)" + (cursor.map { "&after=\($0)" } ?? ""))
                    #expect(page.conversations.count <= size)
                    paged += page.conversations
                    cursor = page.next
                } while cursor != nil
                #expect(Self.canonical(paged) == Self.canonical(all.conversations), "pages of \(size)")
            }
            for shape in shapes {
                let listed = try #require(all.conversations.first { $0["id"] as? String == shape.id })
                let history = try #require(
                    try await client.request(
                        "GET", "/v1/conversations/\(shape.id)/messages?limit=200", headers: API.agent
                    )
                    .json?["messages"] as? [[String: Any]])
                let last = listed["last_message"] as? [String: Any]
                #expect(Self.canonical(last) == Self.canonical(history.last), "the newest of its history")
                if let body = shape.lastBody { #expect(last?["body"] as? String == body) }
                #expect((listed["waiting_since"] != nil) == shape.waiting)
                let handoff = try #require(listed["handoff"] as? [String: Any])
                #expect(handoff["state"] as? String == shape.handoff)
                #expect((handoff["phone_masked"] != nil) == (shape.handoff != "none"))
                let contact = try #require(listed["contact"] as? [String: Any])
                #expect(contact["id"] is String && contact["locale"] as? String == "en-US")
                var read = try #require(
                    try await client.request("GET", "/v1/conversations/\(shape.id)", headers: API.agent).json)
                read["proactive"] = nil
                #expect(Self.canonical(listed) == Self.canonical(read), "as GET /v1/conversations/{id}")
            }
        }
    }

    /// The batched reads find what the one-row reads find: suppressions by the number and, after
    /// an erasure, by its hash; only the contacts and conversations asked for; a conversation
    /// without messages has no last message.
    @Test(arguments: Backend.available)
    func batchedReadsMatchTheOneRowReads(backend: Backend) async throws {
        try await backend.withDatabase { database in
            let phones = ["+14155550181", "+14155550182", "+14155550183"]
            try await database.write { connection in
                let suppressions = SuppressionRepository(connection)
                try suppressions.add(
                    phones[0], reason: "stop_keyword", source: nil, actor: "customer", requestID: nil, now: 1)
                try connection.execute(
                    "INSERT INTO suppressions (phone_e164, reason, created_at) VALUES (?, 'stop_keyword', 1)",
                    [.text(PersonalDataRepository.hashedPhone(phones[1]))])
                let chat = ChatRepository(connection)
                for index in 0..<3 {
                    try chat.insert(
                        ContactRecord(
                            id: "ct\(index)", phoneE164: phones[index], locale: nil, timeZone: nil, createdAt: 1))
                    _ = try chat.insert(
                        ConversationRecord(
                            id: "conv\(index)", contactID: "ct\(index)", state: .open, createdAt: 1, updatedAt: 1))
                }
                for turn in 0..<3 {
                    _ = try chat.insert(
                        MessageRecord(
                            id: "msg\(turn)", conversationID: "conv1", direction: .inbound, channel: .web,
                            author: .visitor, body: "turn \(turn)", status: "received", createdAt: Int64(turn + 2),
                            updatedAt: Int64(turn + 2)),
                        clientKey: nil)
                }
            }
            try await database.read { connection in
                let suppressions = SuppressionRepository(connection)
                let suppressed = try suppressions.suppressed(among: phones + [phones[0]])
                #expect(suppressed == [phones[0], phones[1]])
                #expect(try phones.filter(suppressions.isSuppressed) == [phones[0], phones[1]])
                #expect(try suppressions.suppressed(among: []).isEmpty)

                let chat = ChatRepository(connection)
                #expect(try chat.contacts(ids: ["ct0", "ct2", "ct9"]).keys.sorted() == ["ct0", "ct2"])
                #expect(try chat.contacts(ids: []).isEmpty)
                let activity = try chat.activity(conversationIDs: ["conv0", "conv1", "conv1", "conv9"])
                #expect(activity.keys.sorted() == ["conv0", "conv1"])
                #expect(activity["conv0"] == ConversationActivity(lastMessage: nil, awaitingReplySince: nil))
                #expect(activity["conv1"]?.lastMessage?.id == "msg2")
                #expect(activity["conv1"]?.lastMessage == (try chat.message(id: "msg2")))
                #expect(activity["conv1"]?.awaitingReplySince == 2, "kept by the trigger since the first question")
            }
        }
    }

    static func page(_ client: HTTPTestClient, _ query: String) async throws -> (
        conversations: [[String: Any]], next: String?
    ) {
        let response = try await client.request("GET", "/v1/conversations?\(query)", headers: API.agent)
        #expect(response.status == 200)
        let json = try #require(response.json)
        return (try #require(json["conversations"] as? [[String: Any]]), json["next_after"] as? String)
    }

    /// JSON text with sorted keys, to compare decoded objects.
    static func canonical(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "\(value ?? "nil")" }
        return String(decoding: data, as: UTF8.self)
    }
}
