import DatabaseDriver
import Foundation
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// The funnel report's statements read the facts of the range's conversations through indexes,
/// never a whole table, by each key, on both backends; their query plans are printed.
@Suite struct FunnelQueryPlanTests {
    @Test func sqliteSearchesTheRangeAndNeverScansATable() throws {
        let directory = try TemporaryDirectory()
        let connection = try QueryPlanTests.populated(directory)
        let (from, to): (Int64, Int64) = (100, 200)
        for dimension in FunnelDimension.allCases {
            for (sql, values) in FunnelRepository.statements(from: from, to: to, by: dimension) {
                let plan = try connection.query("EXPLAIN QUERY PLAN " + sql, values).map {
                    try $0.get("detail", as: String.self)
                }
                print("SQLite plan, by \(dimension):\n  " + plan.joined(separator: "\n  "))
                #expect(Self.tableScans(plan).isEmpty, "by \(dimension): \(Self.tableScans(plan))")
            }
        }
        // What the statements step through outside an index search: the range's own rows, a few
        // per conversation (its facts gathered for grouping), never a table (2,000 conversations,
        // 10,000 messages).
        connection.fullScanSteps = [:]
        let funnel = FunnelRepository(connection)
        for dimension in FunnelDimension.allCases {
            #expect(try funnel.totals(from: from, to: to, by: dimension).map(\.conversations).reduce(0, +) == 100)
            // Each conversation's two answered questions (its third is its last message).
            #expect(
                try funnel.responses(from: from, to: to, by: dimension).map(\.answeredWithin60s).reduce(0, +) == 200)
        }
        let unbounded = connection.fullScanSteps.filter { $0.value > 4 * Int(to - from) }
        #expect(unbounded.isEmpty, "full scans: \(unbounded.values)")
    }

    /// With sequential scans, hash and merge joins priced out (the test's tables are small enough
    /// for the planner to read whole), a `Seq Scan` left in a plan is a table no index can serve,
    /// and an index scan without an `Index Cond` walks a whole index.
    @Test(.enabled(if: postgresTestServer != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
    func postgresHasAnIndexForEveryTableItReads() async throws {
        try await ScratchDatabase.with { scratch in
            try await TestApplication.inProcess({ $0.databasePath = scratch.uri }) { application, _, _ in
                var random = SplitMix64(seed: 26)
                let statements = MixedHistory.statements(&random)
                _ = try await application.database.write { connection in
                    for (sql, values) in statements { _ = try connection.execute(sql, values) }
                    try connection.execute("ANALYZE")
                }
                let start = FunnelFastPathTests.start
                let plans = try await application.database.read { connection in
                    let settings = ["enable_seqscan", "enable_hashjoin", "enable_mergejoin"]
                    for setting in settings { try connection.execute("SET \(setting) = off") }
                    defer { for setting in settings { try? connection.execute("RESET \(setting)") } }
                    return try FunnelDimension.allCases.map { dimension in
                        try FunnelRepository.statements(from: start, to: start + FunnelFastPathTests.day, by: dimension)
                            .map { sql, values in
                                try connection.query("EXPLAIN " + sql, values).map {
                                    try $0.get("QUERY PLAN", as: String.self)
                                }
                            }
                    }
                }
                for (dimension, statementPlans) in zip(FunnelDimension.allCases, plans) {
                    for plan in statementPlans {
                        print("PostgreSQL plan, by \(dimension):\n" + plan.joined(separator: "\n"))
                        #expect(Self.fullScans(plan).isEmpty, "by \(dimension): \(Self.fullScans(plan))")
                    }
                }
            }
        }
    }

    /// The lines of a SQLite plan (`EXPLAIN QUERY PLAN`'s details) that scan a table or an index
    /// whole: a `SCAN` of anything but a subquery the statement computed (`MATERIALIZE` or
    /// `CO-ROUTINE`).
    static func tableScans(_ plan: [String]) -> [String] {
        func name(_ line: String, after prefix: String) -> String? {
            line.hasPrefix(prefix + " ")
                ? line.dropFirst(prefix.count + 1).split(separator: " ").first.map(String.init) : nil
        }
        let computed = Set(plan.compactMap { name($0, after: "MATERIALIZE") ?? name($0, after: "CO-ROUTINE") })
        return plan.filter { line in name(line, after: "SCAN").map { !computed.contains($0) } ?? false }
    }

    /// The nodes of a PostgreSQL plan (`EXPLAIN`'s lines) that read a whole table or index.
    static func fullScans(_ plan: [String]) -> [String] {
        plan.indices.compactMap { index in
            let line = plan[index]
            if line.contains("Seq Scan") { return line }
            guard line.contains("Index Scan using") || line.contains("Index Only Scan using") else { return nil }
            let details = plan[(index + 1)...].prefix { !$0.contains("->") }
            return details.contains { $0.contains("Index Cond") } ? nil : line
        }
    }

    @Test func aTableScanIsFound() {
        let plan = [
            "MATERIALIZE c", "SEARCH c USING INDEX conversations_created (created_at>? AND created_at<?)", "SCAN c",
            "SCAN m USING COVERING INDEX messages_funnel", "SCAN x", "CO-ROUTINE facts", "SCAN facts",
        ]
        #expect(Self.tableScans(plan) == ["SCAN m USING COVERING INDEX messages_funnel", "SCAN x"])
    }

    @Test func aFullIndexScanIsFound() {
        let plan = [
            "Hash  (cost=22.71..22.71 rows=171 width=15)",
            "  ->  Index Scan using outbound_pkey on outbound o  (cost=0.14..22.71 rows=171 width=15)",
            "  ->  Index Scan using conversations_created on conversations c  (cost=0.14..8 rows=1 width=15)",
            "        Index Cond: (created_at >= 1)",
            "  ->  Seq Scan on outcomes x  (cost=0.00..1.00 rows=1 width=8)",
        ]
        #expect(Self.fullScans(plan) == [plan[1], plan[4]])
    }
}
