import Foundation
import Postgres
import TestSupport
import Testing

@testable import HandoffService

/// Several `handoff serve` nodes on one PostgreSQL database, as behind a load balancer.
@Suite(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct MultiNodeTests {
    /// Inbound texts in the redelivery test (each delivered twice).
    static let texts = Int(ProcessInfo.processInfo.environment["HANDOFF_MULTINODE_TEXTS"] ?? "") ?? 1000

    /// Twilio redelivers a text it thinks was lost, and a load balancer may hand the copy to any
    /// node: each text delivered twice, to nodes picked at random, some at the same moment, from
    /// numbers new to every node, is acknowledged (after Twilio's own retries of a 503) and stored
    /// once.
    @Test func textsDeliveredTwiceOverThreeNodesAreStoredOnce() async throws {
        try await ScratchDatabase.with { scratch in
            let onPostgres: (inout Configuration) -> Void = { $0.databasePath = scratch.uri }
            try await TestApplication.live(onPostgres) { first, _, one in
                try await TestApplication.live(onPostgres) { _, _, two in
                    try await TestApplication.live(onPostgres) { _, _, three in
                        let nodes = [one, two, three]
                        let deliveries = (0..<Self.texts).flatMap { [$0, $0] }.shuffled()
                        var statuses: [Int: Int] = [:]
                        for batch in stride(from: 0, to: deliveries.count, by: 48) {
                            let chunk = deliveries[batch..<min(batch + 48, deliveries.count)]
                            try await withThrowingTaskGroup(of: Int.self) { group in
                                for text in chunk {
                                    let node = try #require(nodes.randomElement())
                                    group.addTask {
                                        // A 503 (a conflict retried too often, say) is retried as Twilio
                                        // retries it; nothing else is.
                                        for _ in 0..<5 {
                                            let status = try await node.reply(
                                                from: "+1415555\(String(format: "%04d", 1000 + text % 97))",
                                                to: API.sender, body: "text \(text)",
                                                messageSID: "SM" + String(format: "%032x", text)
                                            ).status
                                            if status != 503 { return status }
                                            try await Task.sleep(for: .milliseconds(100))
                                        }
                                        return 503
                                    }
                                }
                                for try await status in group { statuses[status, default: 0] += 1 }
                            }
                        }
                        #expect(statuses == [200: deliveries.count], "every delivery is acknowledged")
                        let stored = try await first.database.read {
                            try $0.queryOne(
                                "SELECT COUNT(*) AS n, COUNT(DISTINCT body) AS bodies FROM messages WHERE direction = 'inbound'"
                            )
                        }
                        #expect(try stored?.get("n", as: Int64.self) == Int64(Self.texts))
                        #expect(try stored?.get("bodies", as: Int64.self) == Int64(Self.texts))
                    }
                }
            }
        }
    }

    /// The guessing limit on keys is counted in the database: wrong keys sent to one node lock the
    /// address out on another, and a right key still works there.
    @Test func wrongKeysOnOneNodeLockTheAddressOutOnAnother() async throws {
        try await ScratchDatabase.with { scratch in
            let onPostgres: (inout Configuration) -> Void = { $0.databasePath = scratch.uri }
            try await TestApplication.live(onPostgres) { _, first, _ in
                try await TestApplication.live(onPostgres) { _, second, _ in
                    let wrong = [("Authorization", "Bearer not-a-key-0123456789")]
                    for _ in 0..<20 {
                        #expect(try await first.request("GET", "/v1/conversations", headers: wrong).status == 401)
                    }
                    let locked = try await second.request("GET", "/v1/conversations", headers: wrong)
                    #expect(locked.status == 429 && locked.header("Retry-After") != nil)
                    #expect(try await second.request("GET", "/v1/conversations").status == 429, "a missing key too")
                    #expect(try await second.request("GET", "/v1/conversations", headers: API.agent).status == 200)
                }
            }
        }
    }
}
