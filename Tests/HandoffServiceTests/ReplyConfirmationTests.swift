import DatabaseDriver
import Foundation
import Gateway
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// A YES by text is consent to receive texts, never proof that a web session belongs to the
/// phone's owner: it confirms a verification only when it answers that verification's own text,
/// and a stranger's session is never joined to a number's conversation by one.
@Suite struct ReplyConfirmationTests {
    static func handoffState(_ cookie: String, _ client: HTTPTestClient) async throws -> String? {
        let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
        return (session.json?["handoff"] as? [String: Any])?["state"] as? String
    }

    static func bodies(_ cookie: String, _ client: HTTPTestClient) async throws -> [String] {
        try await API.history(cookie, client).compactMap { $0["body"] as? String }
    }

    /// The `handoff` events of a conversation that told its session to type the code.
    static func codeNotices(_ conversationID: String, _ application: HandoffApplication) async throws -> Int {
        try await application.database.read { connection in
            try connection.query(
                "SELECT payload FROM conversation_events WHERE conversation_id = ? AND type = 'handoff'",
                [.text(conversationID)]
            ).filter { try $0.get("payload", as: String.self).contains(#""notice":"use_code""#) }.count
        }
    }

    @Test func aStrangersRequestIsNotConfirmedByTheOwnersAnswerToAnAgent() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550161"
            let (ownerCookie, ownerConversation) = try await API.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "My account number is 99-1234")

            let (strangerCookie, strangerSession) = try await API.startSession(client)
            let strangerConversation = try #require(strangerSession["conversation_id"] as? String)
            let pending = try await API.requestHandoff(strangerCookie, phone, client)
            #expect(pending["confirm_by_reply"] as? Bool == false, "a known number confirms by code only")
            let strangersCode = try await API.code(simulator, phone, number: 2)
            let codeText = try #require(simulator.inbox(of: phone).last { $0.body.contains(strangersCode) })
            #expect(!codeText.body.contains("YES"), "the code text does not invite a YES that cannot confirm")

            _ = try await client.request(
                "POST", "/v1/conversations/\(ownerConversation)/messages", headers: API.agent,
                body: #"{"body":"Shall I book Friday at 10?","author":"agent"}"#)
            #expect(
                try await eventually { simulator.inbox(of: phone).last?.body == "Shall I book Friday at 10?" },
                "\(simulator.inbox(of: phone).map(\.body))")
            let answer = try await simulator.reply(from: phone, to: API.sender, body: "Yes")
            #expect(answer.status == 200)

            #expect(try await Self.handoffState(strangerCookie, client) == "pending_verification")
            let strangerSees = try await Self.bodies(strangerCookie, client)
            #expect(!strangerSees.contains { $0.contains("99-1234") || $0.contains("Friday") || $0 == "Yes" })
            let ownerSees = try await Self.bodies(ownerCookie, client)
            #expect(ownerSees.suffix(2) == ["Shall I book Friday at 10?", "Yes"], "the YES is an ordinary answer")
            #expect(try await Self.codeNotices(strangerConversation, application) == 1, "told to type the code")
            let posted = try await client.request(
                "POST", "/v1/messages", headers: API.json(strangerCookie), body: #"{"body":"hello?"}"#)
            #expect(posted.status == 201)
            #expect(!(try await Self.bodies(ownerCookie, client)).contains("hello?"), "nor writes into it")

            let ledger = try await client.request("GET", "/v1/contacts/%2B14155550161/consents", headers: API.agent)
            let events = (ledger.json?["consents"] as? [[String: Any]])?.compactMap { $0["event"] as? String }
            #expect(events == ["opt_in_requested", "opt_in_confirmed", "opt_in_requested"])
        }
    }

    @Test func aYesToItsOwnCodeAfterALaterStrangersRequestConfirmsNeither() async throws {
        try await TestApplication.live { application, client, simulator in
            let phone = "+14155550162"
            let (ownerCookie, ownerSession) = try await API.startSession(client)
            _ = try await client.request(
                "POST", "/v1/messages", headers: API.json(ownerCookie),
                body: #"{"body":"Owner's question"}"#)
            let owners = try await API.requestHandoff(ownerCookie, phone, client)
            #expect(owners["confirm_by_reply"] as? Bool == true)
            let ownersCode = try await API.code(simulator, phone)
            #expect(simulator.inbox(of: phone).first?.body.contains("reply YES") == true)

            let (strangerCookie, _) = try await API.startSession(client)
            let strangers = try await API.requestHandoff(strangerCookie, phone, client)
            #expect(strangers["confirm_by_reply"] as? Bool == false, "another verification is pending")
            _ = try await API.code(simulator, phone, number: 2)

            _ = try await simulator.reply(from: phone, to: API.sender, body: "YES")
            #expect(try await Self.handoffState(strangerCookie, client) == "pending_verification")
            #expect(try await Self.handoffState(ownerCookie, client) == "pending_verification")
            let ownerConversation = try #require(ownerSession["conversation_id"] as? String)
            #expect(try await Self.codeNotices(ownerConversation, application) == 1)

            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(ownerCookie),
                body: #"{"code":"\#(ownersCode)"}"#)
            #expect(verified.status == 200)
            let owner = try API.rotatedCookie(verified)
            #expect(try await Self.handoffState(owner, client) == "active")
            #expect(try await Self.handoffState(strangerCookie, client) == "pending_verification")
            #expect(!(try await Self.bodies(strangerCookie, client)).contains("Owner's question"))
        }
    }

    @Test func aYesConfirmsOnlyAnAnswerToTheLastTextSent() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550163"
            let (ownerCookie, _) = try await API.startSession(client)
            _ = try await API.requestHandoff(ownerCookie, phone, client)
            let ownersCode = try await API.code(simulator, phone)
            // A stranger's request texts a later code, then burns itself with wrong guesses: one
            // verification is pending again, but the last text the phone got is not its own.
            let (strangerCookie, _) = try await API.startSession(client)
            _ = try await API.requestHandoff(strangerCookie, phone, client)
            _ = try await API.code(simulator, phone, number: 2)
            var last = 0
            for guess in 0..<5 {
                last = try await client.request(
                    "POST", "/v1/handoff/verify", headers: API.json(strangerCookie),
                    body: #"{"code":"00000\#(guess)"}"#
                ).status
            }
            #expect(last == 409, "burned")

            _ = try await simulator.reply(from: phone, to: API.sender, body: "Yes")
            #expect(try await Self.handoffState(ownerCookie, client) == "pending_verification")
            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(ownerCookie),
                body: #"{"code":"\#(ownersCode)"}"#)
            #expect(verified.status == 200, "the code still works")
        }
    }

    @Test func aYesToTheOnlyCodeTextOfANewNumberConfirmsIt() async throws {
        try await TestApplication.live { _, client, simulator in
            let phone = "+14155550164"
            let (cookie, _) = try await API.startSession(client)
            let pending = try await API.requestHandoff(cookie, phone, client)
            #expect(pending["confirm_by_reply"] as? Bool == true)
            // Asking again replaces the session's own code: the newest text is still its own.
            _ = try await API.requestHandoff(cookie, phone, client)
            _ = try await API.code(simulator, phone, number: 2)
            _ = try await simulator.reply(from: phone, to: API.sender, body: "yes")
            #expect(try await Self.handoffState(cookie, client) == "active")
        }
    }
}
