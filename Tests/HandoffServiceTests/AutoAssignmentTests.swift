import DatabaseDriver
import Foundation
import HandoffDomain
import Logging
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Agents' presence (an open `GET /v1/agent/events` stream, recorded in the database with an
/// expiry) and auto-assignment round robin among the present agents of a queue, on SQLite and
/// PostgreSQL, and across two nodes.
@Suite struct AutoAssignmentTests {
    static let yaml = """
        queues:
          - name: support
            auto_assign: true
          - name: sales
            auto_assign: true
            members: [MEMBER]
          - name: billing
        """

    /// Runs `body` against a live application on `backend` with the queues of `yaml` (`MEMBER`
    /// replaced by `member`, who must exist before the configuration is read: none here, the
    /// tests that need one reload).
    static func live(
        on backend: Backend, _ body: (HandoffApplication, HTTPTestClient) async throws -> Void
    ) async throws {
        let configure = { (configuration: inout Configuration) in
            Agents.withAdminKey(&configuration)
            configuration.queues = (try? Queues.load(yaml).queues) ?? configuration.queues
        }
        switch backend {
        case .sqlite:
            try await TestApplication.live(configure) { application, client, _ in try await body(application, client) }
        case .postgresql:
            try await ScratchDatabase.with { scratch in
                try await TestApplication.live({
                    configure(&$0)
                    $0.databasePath = scratch.uri
                }) { application, client, _ in try await body(application, client) }
            }
        }
    }

    /// Opens `agent`'s event stream and waits for it to start.
    static func openStream(_ agent: Agents.Made, _ client: HTTPTestClient) async throws -> RawHTTPClient {
        let stream = try RawHTTPClient(port: client.port)
        try stream.send("GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(agent.key)\r\n\r\n")
        _ = await stream.read(until: ": connected")
        return stream
    }

    /// The live presence rows of `agentID`: their nodes.
    static func presence(_ agentID: String, _ application: HandoffApplication) async throws -> [String] {
        let now = ChatService.currentMilliseconds()
        return try await application.database.read { connection in
            try connection.query(
                "SELECT node_id FROM agent_presence WHERE agent_id = ? AND expires_at > ?",
                [.text(agentID), .integer(now)]
            ).map { try $0.get("node_id", as: String.self) }
        }
    }

    static func owner(_ id: String, _ client: HTTPTestClient) async throws -> String? {
        (try await Queues.conversation(id, client)["assigned_agent"] as? [String: Any])?["id"] as? String
    }

    @Test(arguments: Backend.available)
    func anAgentIsPresentWhileTheirStreamIsOpen(backend: Backend) async throws {
        try await Self.live(on: backend) { application, client in
            let ann = try await Agents.make("Ann", queues: ["support"], client)
            #expect(try await Self.presence(ann.id, application).isEmpty)
            var stream: RawHTTPClient? = try await Self.openStream(ann, client)
            #expect(
                try await eventually {
                    try await Self.presence(ann.id, application) == [application.configuration.nodeID]
                })
            let integration = try RawHTTPClient(port: client.port)
            try integration.send(
                "GET /v1/agent/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(TestApplication.apiKey)\r\n\r\n")
            _ = await integration.read(until: ": connected")
            let rows = try await application.database.read { try $0.query("SELECT id FROM agent_presence", []).count }
            #expect(rows == 1, "a bot or integration key's stream makes nobody present")
            withExtendedLifetime(stream) {}
            stream = nil
            #expect(try await eventually { try await Self.presence(ann.id, application).isEmpty }, "closing leaves")
        }
    }

    /// Rows count until they run out: a node that stops renewing (it crashed) stops counting
    /// `ttl` later, and any node's renewal deletes its rows; a live node's renewal keeps its own.
    @Test(arguments: Backend.available)
    func presenceRunsOutUnlessRenewed(backend: Backend) async throws {
        try await backend.withDatabase { database in
            let agent = AgentRecord(id: "agt_1", name: "Ann", role: .agent, queues: [], createdAt: 0)
            try await database.write { try AgentRepository($0).insert(agent, keyHash: [1, 2, 3]) }
            let clock = TestClock()
            let silent = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let crashed = AgentPresence(
                database: database, node: "node-crashed", ttl: .seconds(30), logger: silent, now: { clock.now })
            let live = AgentPresence(
                database: database, node: "node-live", ttl: .seconds(30), logger: silent, now: { clock.now })
            _ = await crashed.arrive(agentID: agent.id)
            let present = { (at: Int64) in
                try await database.read { try AssignmentRepository($0).presentAgents(now: at).map(\.id) }
            }
            #expect(try await present(clock.now + 29_000) == [agent.id])
            #expect(try await present(clock.now + 30_000) == [], "an expired row counts for nothing")

            _ = await live.arrive(agentID: agent.id)
            clock.advance(by: 20_000)
            try await live.renew()
            #expect(try await present(clock.now + 29_000) == [agent.id], "renewed: 30 s from the renewal")
            clock.advance(by: 11_000)
            try await live.renew()
            let nodes = try await database.read {
                try $0.query("SELECT node_id FROM agent_presence", []).map { try $0.get("node_id", as: String.self) }
            }
            #expect(nodes == ["node-live"], "the crashed node's row is gone, the live node's stays")
        }
    }

    /// Four conversations escalated to an auto-assigned queue go to the two present agents who
    /// work it, two each, one `conversation.assigned` each; an agent with no stream open gets none.
    @Test(arguments: Backend.available)
    func conversationsGoRoundRobinToPresentAgents(backend: Backend) async throws {
        try await Self.live(on: backend) { _, client in
            let ann = try await Agents.make("Ann", queues: ["support"], client)
            let bo = try await Agents.make("Bo", queues: ["support"], client)
            let cy = try await Agents.make("Cy", queues: ["support"], client)
            let streams = [try await Self.openStream(ann, client), try await Self.openStream(bo, client)]
            var owners: [String: Int] = [:]
            for _ in 0..<4 {
                let id = try await Queues.escalated(to: "support", client)
                #expect(try await eventually { try await Self.owner(id, client) != nil })
                owners[try await Self.owner(id, client) ?? "none", default: 0] += 1
            }
            #expect(owners == [ann.id: 2, bo.id: 2], "\(owners); Cy (\(cy.id)) has no stream open")
            withExtendedLifetime(streams) {}
        }
    }

    /// With nobody present a conversation waits unassigned, and goes to the first agent of its
    /// queue who opens the console; a queue without `auto_assign` is never assigned by itself.
    @Test(arguments: Backend.available)
    func aConversationWaitsForTheFirstAgentToArrive(backend: Backend) async throws {
        try await Self.live(on: backend) { _, client in
            let ann = try await Agents.make("Ann", queues: ["support", "billing"], client)
            let waiting = try await Queues.escalated(to: "support", client)
            let manual = try await Queues.escalated(to: "billing", client)
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await Self.owner(waiting, client) == nil, "nobody present: it waits")
            let stream = try await Self.openStream(ann, client)
            #expect(try await eventually(seconds: 5) { try await Self.owner(waiting, client) == ann.id })
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await Self.owner(manual, client) == nil, "billing does not auto-assign")
            withExtendedLifetime(stream) {}
        }
    }

    /// A queue with members auto-assigns only to them (and to agents made with that queue): a
    /// present agent of no queue waits while a member arrives and is given the conversation.
    @Test func aQueueWithMembersAssignsOnlyToThem() async throws {
        try await TestApplication.live(Agents.withAdminKey) { application, client, _ in
            let member = try await Agents.make("Mia", client)
            let other = try await Agents.make("Oz", client)
            var configuration = application.configuration
            configuration.queues = try Queues.load(Self.yaml.replacingOccurrences(of: "MEMBER", with: member.id))
                .queues
            _ = application.reload(configuration)
            let otherStream = try await Self.openStream(other, client)
            let id = try await Queues.escalated(to: "sales", client)
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await Self.owner(id, client) == nil, "Oz is not a member of sales")
            let memberStream = try await Self.openStream(member, client)
            #expect(try await eventually(seconds: 5) { try await Self.owner(id, client) == member.id })
            withExtendedLifetime((otherStream, memberStream)) {}
        }
    }

    /// Presence and the round robin's turn are in the database: an agent whose console is open on
    /// node A gets conversations escalated on node B, and two agents on two nodes share them.
    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func presenceAndTurnsHoldAcrossNodes() async throws {
        let configure = { (configuration: inout Configuration, uri: String) in
            Agents.withAdminKey(&configuration)
            configuration.queues = (try? Queues.load(Self.yaml).queues) ?? configuration.queues
            configuration.databasePath = uri
        }
        try await ScratchDatabase.with { scratch in
            try await TestApplication.live({ configure(&$0, scratch.uri) }) { _, a, _ in
                try await TestApplication.live({ configure(&$0, scratch.uri) }) { _, b, _ in
                    let ann = try await Agents.make("Ann", queues: ["support"], a)
                    let bo = try await Agents.make("Bo", queues: ["support"], b)
                    let annStream = try await Self.openStream(ann, a)
                    let first = try await Queues.escalated(to: "support", b)
                    #expect(try await eventually(seconds: 5) { try await Self.owner(first, b) == ann.id })
                    let boStream = try await Self.openStream(bo, b)
                    var owners: [String: Int] = [:]
                    for index in 0..<4 {
                        let node = index.isMultiple(of: 2) ? a : b
                        let id = try await Queues.escalated(to: "support", node)
                        #expect(try await eventually(seconds: 5) { try await Self.owner(id, node) != nil })
                        owners[try await Self.owner(id, node) ?? "none", default: 0] += 1
                    }
                    #expect(owners == [ann.id: 2, bo.id: 2], "\(owners)")
                    withExtendedLifetime((annStream, boStream)) {}
                }
            }
        }
    }
}
