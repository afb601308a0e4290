import Crypto
import DatabaseDriver
import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// Named agents: made, listed and deleted by admin keys, with keys of their own that work where
/// API keys do and make them the author of what they write.
@Suite struct AgentsAPITests {
    @Test func anAdminMakesListsAndDeletesAgentsWhoseKeysAreStoredHashed() async throws {
        try await TestApplication.inProcess(Agents.withAdminKey) { application, client, _ in
            let byAPIKey = try await client.request(
                "POST", "/v1/admin/agents", headers: API.agent, body: #"{"name":"Ann","role":"agent","queues":[]}"#)
            #expect(byAPIKey.status == 401, "an API key is not an admin key")

            let created = try await client.request(
                "POST", "/v1/admin/agents", headers: Agents.admin,
                body: #"{"name":"Ann Lee","role":"supervisor","queues":["support","sales"]}"#)
            #expect(created.status == 201)
            let agent = try #require(created.json?["agent"] as? [String: Any])
            let id = try #require(agent["id"] as? String)
            let key = try #require(created.json?["api_key"] as? String)
            #expect(agent["name"] as? String == "Ann Lee")
            #expect(agent["role"] as? String == "supervisor")
            #expect(agent["queues"] as? [String] == ["sales", "support"])
            #expect(key.count >= 40)

            let stored = try await application.database.read { connection in
                try connection.queryOne("SELECT key_hash FROM agents WHERE id = ?", [.text(id)])?.get(
                    "key_hash", as: [UInt8].self)
            }
            #expect(stored == Array(SHA256.hash(data: Data(key.utf8))), "only the key's SHA-256 is kept")

            let list = try await client.request("GET", "/v1/admin/agents", headers: Agents.admin)
            #expect(list.status == 200)
            let agents = try #require(list.json?["agents"] as? [[String: Any]])
            #expect(agents.map { $0["id"] as? String } == [id])
            #expect(!list.body.contains(key), "the key is shown once")

            let deleted = try await client.request("DELETE", "/v1/admin/agents/\(id)", headers: Agents.admin)
            #expect(deleted.status == 200)
            let again = try await client.request("DELETE", "/v1/admin/agents/\(id)", headers: Agents.admin)
            #expect(again.status == 404 && API.errorCode(again) == "agent_not_found")
            let empty = try await client.request("GET", "/v1/admin/agents", headers: Agents.admin)
            #expect((empty.json?["agents"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func badAgentsAreRefusedNamingTheField() async throws {
        try await TestApplication.inProcess(Agents.withAdminKey) { _, client, _ in
            for (body, field) in [
                (#"{"name":"  ","role":"agent"}"#, "name"),
                (#"{"name":"Bo","role":"boss"}"#, "role"),
                (#"{"name":"Bo","queues":["no spaces"]}"#, "queues"),
            ] {
                let response = try await client.request("POST", "/v1/admin/agents", headers: Agents.admin, body: body)
                #expect(response.status == 422, "\(body)")
                #expect(API.errorCode(response) == "invalid_field" && API.errorField(response) == field, "\(body)")
            }
        }
    }

    @Test func anAgentKeyWorksAsAnAPIKeyAndSignsWhatTheAgentWrites() async throws {
        try await TestApplication.inProcess(Agents.withAdminKey) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let (_, session) = try await API.startSession(client)
            let id = try #require(session["conversation_id"] as? String)
            #expect(try await client.request("GET", "/v1/conversations", headers: ann.headers).status == 200)

            let reply = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: ann.headers, body: #"{"body":"Hi, Ann here."}"#)
            #expect(reply.status == 201)
            let message = try #require(reply.json?["message"] as? [String: Any])
            #expect(message["author"] as? String == "agent")
            let author = try #require(message["agent"] as? [String: Any])
            #expect(author["id"] as? String == ann.id && author["name"] as? String == "Ann")

            let asBot = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: ann.headers,
                body: #"{"body":"beep","author":"bot"}"#)
            #expect(asBot.status == 422 && API.errorField(asBot) == "author", "an agent cannot write as the bot")

            let history = try #require(
                try await client.request("GET", "/v1/conversations/\(id)/messages", headers: API.agent).json?[
                    "messages"] as? [[String: Any]])
            #expect((history.last?["agent"] as? [String: Any])?["name"] as? String == "Ann")
            let event = try await application.database.read { connection in
                try connection.queryOne(
                    "SELECT payload FROM conversation_events WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
                    [.text(id)])?.get("payload", as: String.self)
            }
            #expect(event?.contains(#""agent":{"#) == true && event?.contains(ann.id) == true, "the event names it")

            let byBot = try await client.request(
                "POST", "/v1/conversations/\(id)/messages", headers: API.agent, body: #"{"body":"ok","author":"bot"}"#)
            #expect((byBot.json?["message"] as? [String: Any])?["agent"] == nil, "API keys stay anonymous")
        }
    }

    @Test func aDeletedAgentsKeyStopsAtOnceEvenWhenAnotherNodeDeletedIt() async throws {
        try await TestApplication.inProcess(Agents.withAdminKey) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            #expect(try await client.request("GET", "/v1/conversations", headers: ann.headers).status == 200)
            _ = try await client.request("DELETE", "/v1/admin/agents/\(ann.id)", headers: Agents.admin)
            #expect(try await client.request("GET", "/v1/conversations", headers: ann.headers).status == 401)

            // Another node deletes Bo: only the shared database knows.
            #expect(try await client.request("GET", "/v1/conversations", headers: bo.headers).status == 200)
            try await application.database.write { connection in
                try connection.execute("UPDATE agents SET deleted_at = 1 WHERE id = ?", [.text(bo.id)])
            }
            #expect(try await client.request("GET", "/v1/conversations", headers: bo.headers).status == 401)
        }
    }

    @Test func wrongKeysStillCountTowardTheLimitAndAnAgentsRightKeyStillWorks() async throws {
        try await TestApplication.inProcess(Agents.withAdminKey) { _, client, _ in
            let ann = try await Agents.make("Ann", client)
            var statuses: [Int] = []
            for attempt in 0..<21 {
                statuses.append(
                    try await client.request(
                        "GET", "/v1/conversations", headers: [("Authorization", "Bearer agk_guess-\(attempt)-000000")]
                    ).status)
            }
            #expect(statuses.prefix(20).allSatisfy { $0 == 401 })
            #expect(statuses.last == 429)
            #expect(try await client.request("GET", "/v1/conversations", headers: ann.headers).status == 200)
        }
    }

    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func namedAgentsWorkOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({
                $0.databasePath = scratch.uri
                Agents.withAdminKey(&$0)
            }) { _, client, _ in
                let ann = try await Agents.make("Ann", role: "supervisor", queues: ["support"], client)
                let (_, session) = try await API.startSession(client)
                let id = try #require(session["conversation_id"] as? String)
                let reply = try await client.request(
                    "POST", "/v1/conversations/\(id)/messages", headers: ann.headers, body: #"{"body":"Ann here."}"#)
                #expect(
                    (reply.json?["message"] as? [String: Any])?["agent"] as? [String: String] == [
                        "id": ann.id, "name": "Ann",
                    ])
                let list = try await client.request("GET", "/v1/admin/agents", headers: Agents.admin)
                #expect(((list.json?["agents"] as? [[String: Any]])?.first?["queues"] as? [String]) == ["support"])
                _ = try await client.request("DELETE", "/v1/admin/agents/\(ann.id)", headers: Agents.admin)
                #expect(try await client.request("GET", "/v1/conversations", headers: ann.headers).status == 401)
            }
        }
    }
}
