import DatabaseDriver
import Foundation
import HandoffCore
import TestSupport
import Testing

@testable import HandoffService

/// Who owns a conversation: assign (self, or by a supervisor or API key), unassign, transfer,
/// hand back to the bot, close with a resolution; one event each, and one owner when two claim.
@Suite struct AssignmentTests {
    static func post(
        _ path: String, _ headers: [(String, String)], _ body: String, _ client: HTTPTestClient
    ) async throws -> HTTPTestClient.Response {
        try await client.request("POST", path, headers: headers, body: body)
    }

    /// An empty JSON body.
    static func post(
        _ path: String, _ headers: [(String, String)], _ client: HTTPTestClient
    ) async throws -> HTTPTestClient.Response {
        try await post(path, headers, "{}", client)
    }

    static func owner(_ response: HTTPTestClient.Response) -> String? {
        ((response.json?["conversation"] as? [String: Any])?["assigned_agent"] as? [String: Any])?["id"] as? String
    }

    /// The business events (webhooks queued in the outbox) about a conversation, oldest first.
    static func changes(_ id: String, _ application: HandoffApplication) async throws -> [String] {
        let payloads = try await application.database.read { connection in
            try connection.query("SELECT payload FROM outbox WHERE kind = 'webhook' ORDER BY id", []).map {
                try $0.get("payload", as: String.self)
            }
        }
        return try payloads.compactMap { payload in
            let json = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            let data = json?["data"] as? [String: Any]
            return data?["id"] as? String == id ? json?["type"] as? String : nil
        }
    }

    /// Queues, the admin key, and business events (to a port that refuses: they wait in the outbox).
    static func configure(_ configuration: inout Configuration) {
        Queues.configure(&configuration)
        configuration.eventWebhookURL = "http://127.0.0.1:9/events"
        configuration.eventWebhookSecret = "webhook-secret-0123456789"
    }

    @Test func anAgentClaimsAnotherGets409AndASupervisorTakesOver() async throws {
        try await TestApplication.inProcess(Self.configure) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            let sue = try await Agents.make("Sue", role: "supervisor", client)
            let id = try await Queues.escalated(to: "support", client)
            let path = "/v1/conversations/\(id)/assign"

            let claimed = try await Self.post(path, ann.headers, client)
            #expect(claimed.status == 200 && Self.owner(claimed) == ann.id)
            let name = ((claimed.json?["conversation"] as? [String: Any])?["assigned_agent"] as? [String: Any])?["name"]
            #expect(name as? String == "Ann")
            let again = try await Self.post(path, ann.headers, client)
            #expect(again.status == 200, "claiming one's own conversation again changes nothing")

            let taken = try await Self.post(path, bo.headers, client)
            #expect(taken.status == 409 && API.errorCode(taken) == "already_assigned")
            let forcedByAgent = try await Self.post(path, bo.headers, #"{"force":true}"#, client)
            #expect(forcedByAgent.status == 409, "only a supervisor forces")
            let forBo = try await Self.post(path, bo.headers, #"{"agent_id":"\#(ann.id)"}"#, client)
            #expect(forBo.status == 403, "an agent assigns only itself")

            let forced = try await Self.post(path, sue.headers, #"{"agent_id":"\#(bo.id)","force":true}"#, client)
            #expect(forced.status == 200 && Self.owner(forced) == bo.id)
            #expect(
                try await Self.changes(id, application) == [
                    "conversation.escalated", "conversation.assigned",
                    "conversation.assigned",
                ], "one event per change, none for a repeat or a refusal")
        }
    }

    @Test func anAPIKeyAssignsByAgentID() async throws {
        try await TestApplication.inProcess(Self.configure) { _, client, _ in
            let ann = try await Agents.make("Ann", client)
            let id = try await Queues.escalated(to: "support", client)
            let path = "/v1/conversations/\(id)/assign"
            let missing = try await Self.post(path, API.agent, client)
            #expect(missing.status == 422 && API.errorField(missing) == "agent_id")
            let unknown = try await Self.post(path, API.agent, #"{"agent_id":"agt_nobody"}"#, client)
            #expect(unknown.status == 422 && API.errorCode(unknown) == "agent_not_found")
            let assigned = try await Self.post(path, API.agent, #"{"agent_id":"\#(ann.id)"}"#, client)
            #expect(assigned.status == 200 && Self.owner(assigned) == ann.id)
            let none = try await Self.post("/v1/conversations/conv_nope/assign", ann.headers, client)
            #expect(none.status == 404)
        }
    }

    @Test func unassignTransferHandBackAndClose() async throws {
        try await TestApplication.inProcess(Self.configure) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            let id = try await Queues.escalated(to: "support", client)
            let base = "/v1/conversations/\(id)"
            _ = try await Self.post(base + "/assign", ann.headers, client)

            #expect(try await Self.post(base + "/unassign", bo.headers, client).status == 403)
            let unassigned = try await Self.post(base + "/unassign", ann.headers, client)
            #expect(unassigned.status == 200 && Self.owner(unassigned) == nil)
            #expect((unassigned.json?["conversation"] as? [String: Any])?["queue"] as? String == "support")

            let nowhere = try await Self.post(base + "/transfer", ann.headers, #"{"queue":"nowhere"}"#, client)
            #expect(nowhere.status == 422 && API.errorCode(nowhere) == "unknown_queue")
            let both = try await Self.post(
                base + "/transfer", ann.headers, #"{"queue":"support","agent_id":"\#(bo.id)"}"#, client)
            #expect(both.status == 422)
            let toQueue = try await Self.post(base + "/transfer", ann.headers, #"{"queue":"supervisors"}"#, client)
            #expect((toQueue.json?["conversation"] as? [String: Any])?["queue"] as? String == "supervisors")
            let toBo = try await Self.post(base + "/transfer", ann.headers, #"{"agent_id":"\#(bo.id)"}"#, client)
            #expect(toBo.status == 200 && Self.owner(toBo) == bo.id)

            let bot = #"{"body":"Beep.","author":"bot"}"#
            #expect(try await Self.post(base + "/messages", API.agent, bot, client).status == 409)
            #expect(try await Self.post(base + "/handback", ann.headers, client).status == 403, "Bo owns it")
            let handedBack = try await Self.post(base + "/handback", bo.headers, client)
            let conversation = try #require(handedBack.json?["conversation"] as? [String: Any])
            #expect(conversation["state"] as? String == "open" && conversation["assigned_agent"] is NSNull)
            #expect(try await Self.post(base + "/messages", API.agent, bot, client).status == 201, "the bot again")

            let badClose = try await Self.post(base + "/close", API.agent, #"{"resolution":"meh"}"#, client)
            #expect(badClose.status == 422 && API.errorField(badClose) == "resolution")
            let closed = try await Self.post(base + "/close", bo.headers, #"{"resolution":"resolved"}"#, client)
            #expect((closed.json?["conversation"] as? [String: Any])?["resolution"] as? String == "resolved")
            #expect(try await Self.post(base + "/assign", ann.headers, client).status == 409, "closed")
            #expect(
                try await Self.changes(id, application) == [
                    "conversation.escalated", "conversation.assigned", "conversation.unassigned",
                    "conversation.transferred", "conversation.transferred", "conversation.handed_back",
                    "conversation.closed",
                ])
        }
    }

    @Test func aQueueWithMembersIsWorkedByThemAndSupervisors() async throws {
        try await TestApplication.inProcess(Self.configure) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            let cy = try await Agents.make("Cy", queues: ["support"], client)
            let sue = try await Agents.make("Sue", role: "supervisor", client)
            var changed = application.configuration
            changed.queues = try QueueCatalog([Queue(name: "support", members: [ann.id])])
            _ = application.reload(changed)
            var statuses: [String: Int] = [:]
            for agent in [bo, ann, cy, sue] {
                let id = try await Queues.escalated(to: "support", client)
                statuses[agent.name] = try await Self.post("/v1/conversations/\(id)/assign", agent.headers, client)
                    .status
            }
            #expect(statuses == ["Bo": 403, "Ann": 200, "Cy": 200, "Sue": 200])
        }
    }

    @Test func conversationsAreListedByOwner() async throws {
        try await TestApplication.inProcess(Self.configure) { _, client, _ in
            let ann = try await Agents.make("Ann", client)
            let mine = try await Queues.escalated(to: "support", client)
            let free = try await Queues.escalated(to: "support", client)
            _ = try await Self.post("/v1/conversations/\(mine)/assign", ann.headers, client)
            func listed(_ query: String, _ headers: [(String, String)]) async throws -> [String]? {
                let page = try await client.request("GET", "/v1/conversations?\(query)", headers: headers)
                return (page.json?["conversations"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            }
            #expect(try await listed("assigned=me", ann.headers) == [mine])
            #expect(try await listed("assigned=\(ann.id)", API.agent) == [mine])
            #expect(try await listed("assigned=none&queue=support", API.agent) == [free])
            let me = try await client.request("GET", "/v1/conversations?assigned=me", headers: API.agent)
            #expect(me.status == 422 && API.errorField(me) == "assigned", "me needs an agent key")
        }
    }

    @Test func twoAgentsClaimingAtOnceLeaveExactlyOneOwner() async throws {
        try await Self.claimAtOnce(Self.configure)
    }

    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func twoAgentsClaimingAtOnceLeaveExactlyOneOwnerOnPostgres() async throws {
        try await ScratchDatabase.with { scratch in
            try await Self.claimAtOnce {
                Self.configure(&$0)
                $0.databasePath = scratch.uri
            }
        }
    }

    /// Two agents claim each of several conversations at the same moment, on the live server.
    static func claimAtOnce(_ adjust: (inout Configuration) -> Void) async throws {
        try await TestApplication.live(adjust) { application, client, _ in
            let ann = try await Agents.make("Ann", client)
            let bo = try await Agents.make("Bo", client)
            var ids: [String] = []
            for _ in 0..<8 { ids.append(try await Queues.escalated(to: "support", client)) }
            let results = try await withThrowingTaskGroup(of: (String, String, Int).self) { group in
                for id in ids {
                    for agent in [ann, bo] {
                        group.addTask {
                            let response = try await Self.post("/v1/conversations/\(id)/assign", agent.headers, client)
                            return (id, agent.id, response.status)
                        }
                    }
                }
                return try await group.reduce(into: [(String, String, Int)]()) { $0.append($1) }
            }
            for id in ids {
                let statuses = results.filter { $0.0 == id }.map(\.2).sorted()
                #expect(statuses == [200, 409], "\(id): \(statuses)")
                let winner = try #require(results.first { $0.0 == id && $0.2 == 200 }?.1)
                let owner = (try await Queues.conversation(id, client)["assigned_agent"] as? [String: Any])?["id"]
                #expect(owner as? String == winner)
                #expect(try await Self.changes(id, application).filter { $0 == "conversation.assigned" }.count == 1)
            }
        }
    }
}
