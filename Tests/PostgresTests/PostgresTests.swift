import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// The throwaway server `.ci/postgres.sh` starts (`make test` does); the suites skip without it.
let serverURI = postgresTestServer

/// What needs no server: the SQLSTATE table, connect errors, the pool's backoff.
@Suite struct PostgresOfflineTests {
    @Test func everyClassHasAKind() {
        let expected: [(String, PostgresError.Kind)] = [
            ("23505", .constraint), ("23503", .constraint), ("23502", .constraint), ("P0001", .constraint),
            ("40001", .conflict), ("40P01", .conflict), ("55P03", .conflict),
            ("53100", .full), ("53200", .full), ("53300", .unavailable),
            ("08006", .unavailable), ("08001", .unavailable), ("57P01", .unavailable), ("57P03", .unavailable),
            ("25006", .unavailable), ("40003", .unavailable),
            ("42601", .bug), ("42P01", .bug), ("25P02", .bug), ("0A000", .bug), ("XX000", .bug),
            ("22003", .invalidData), ("22P02", .invalidData),
            ("28P01", .configuration), ("3D000", .configuration), ("42501", .configuration),
            ("57014", .canceled), ("58030", .io), ("XX001", .corrupt),
        ]
        for (sqlState, kind) in expected {
            #expect(PostgresError.Kind(sqlState: sqlState) == kind, "\(sqlState)")
        }
        #expect(PostgresError(kind: .constraint, sqlState: "23505", message: "").isUniqueViolation)
        #expect(PostgresError(kind: .conflict, sqlState: "40001", message: "").isTemporary)
        #expect(!PostgresError(kind: .bug, sqlState: "42601", message: "").isTemporary)
    }

    @Test func anInvalidURIIsAConfigurationError() async {
        await #expect(throws: PostgresError.self) { try await PostgresConnection.connect("postgresql://[::1") }
        do {
            _ = try await PostgresConnection.connect("postgresql://host/db?nonsense_option=1")
        } catch let error as PostgresError {
            #expect(error.kind == .configuration)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func aServerThatIsNotThereIsUnavailable() async throws {
        let error = try await #require(throws: PostgresError.self) {
            try await PostgresConnection.connect("postgresql://127.0.0.1:1/none?connect_timeout=2")
        }
        #expect(error.kind == .unavailable)
    }

    @Test func backsOffWhileTheServerIsUnreachable() async throws {
        let pool = PostgresPool(uri: "postgresql://127.0.0.1:1/none", size: 2, minimumBackoff: .seconds(30))
        let first = try await #require(throws: PostgresError.self) { try await pool.execute("SELECT 1") }
        #expect(first.kind == .unavailable)
        // Within the backoff, a lease fails at once without trying.
        let second = try await #require(throws: PostgresError.self) { try await pool.execute("SELECT 1") }
        #expect(second.kind == .unavailable && second.message.contains("next attempt"))
    }
}

@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresConnectionTests {
    let uri = serverURI ?? ""

    /// A table of its own for each test, so that tests run in parallel.
    func freshTable(_ connection: PostgresConnection, _ columns: String) async throws -> String {
        let name = "t_\(UUID().uuidString.prefix(8).lowercased())"
        try await connection.execute("CREATE TABLE \(name) (\(columns))")
        return name
    }

    @Test func roundTripsEveryValueType() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let table = try await freshTable(
            connection, "id bigserial PRIMARY KEY, n bigint, small int, r double precision, s text, b bytea, ok boolean"
        )
        let text = "héllo 👋 'quoted' \"double\" \\ back"
        let bytes: [UInt8] = [0, 1, 2, 0, 255, 92, 120]
        let insert = "INSERT INTO \(table) (n, small, r, s, b, ok) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        let rows: [[PostgresValue]] = [
            [.integer(.max), .integer(-42), .real(2.5), .text(text), .bytea(bytes), .text("true")],
            [.integer(.min), .integer(0), .real(-0.1), .text(""), .bytea([]), .text("false")],
            [.null, .null, .null, .null, .null, .null],
            [.integer(7), .integer(1), .real(.infinity), .text("x"), .bytea(Array(0...255)), .integer(1)],
        ]
        for values in rows {
            let result = try await connection.execute(insert, values)
            #expect(result.rows.count == 1 && result.affectedRows == 1)
        }
        let result = try await connection.execute("SELECT n, small, r, s, b, ok FROM \(table) ORDER BY id")
        let (n, small, r, s, b, ok) = try (
            result.column("n"), result.column("small"), result.column("r"), result.column("s"), result.column("b"),
            result.column("ok")
        )
        #expect(result.rows.count == 4)
        for (row, values) in zip(result.rows, rows) {
            #expect(row[n] == values[0])
            #expect(row[small] == values[1])
            #expect(row[r] == values[2])
            #expect(row[s] == values[3])
            #expect(row[b] == values[4])
        }
        let first = result.rows[0]
        #expect(try first.get(n, as: Int64.self) == .max)
        #expect(try first.get(small, as: Int.self) == -42)
        #expect(try first.get(r, as: Double.self) == 2.5)
        #expect(try first.get(s, as: String.self) == text)
        #expect(try first.get(b, as: [UInt8].self) == bytes)
        #expect(try first.get(ok, as: Bool.self) == true)
        #expect(try result.rows[1].get(ok, as: Bool.self) == false)
        #expect(try result.rows[2].get(s, as: String?.self) == nil)
        #expect(try result.rows[3].get(ok, as: Bool.self) == true)
    }

    @Test func theURIsOptionsReachLibpq() async throws {
        let separator = uri.contains("?") ? "&" : "?"
        let connection = try await PostgresConnection.connect(
            uri + separator + "application_name=from_uri&sslmode=disable")
        defer { connection.close() }
        let result = try await connection.execute("SELECT current_setting('application_name') AS name")
        #expect(try result.rows[0].get(result.column("name"), as: String.self) == "from_uri")
        let error = try await #require(throws: PostgresError.self) {
            try await PostgresConnection.connect(uri + separator + "sslmode=require")
        }
        #expect(error.kind == .configuration)  // the test server has no TLS
    }

    @Test func aStatementIsPreparedOnce() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        for value in 0..<3 { try await connection.execute("SELECT $1::int + 1 AS next", [.integer(Int64(value))]) }
        try await connection.execute("SELECT $1::bytea AS raw", [.bytea([1])])
        try await connection.execute("SELECT $1::bytea AS raw", [nil])
        let prepared = try await connection.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE $1 ORDER BY statement", ["SELECT $1%"])
        let statement = try prepared.column("statement")
        // Per SQL and parameter types: bytea and null prepare apart, the three integers share one.
        #expect(
            try prepared.rows.map { try $0.get(statement, as: String.self) } == [
                "SELECT $1::bytea AS raw", "SELECT $1::bytea AS raw", "SELECT $1::int + 1 AS next",
            ])
    }

    @Test func typedAccessThrowsOnAMissingOrMistypedColumn() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let result = try await connection.execute("SELECT 1::int AS one, 'a'::text AS a, NULL::text AS nothing")
        #expect(throws: PostgresError.self) { try result.column("two") }
        let row = try #require(result.rows.first)
        let one = try result.column("one")
        let nothing = try result.column("nothing")
        #expect(throws: PostgresError.self) { try row.get(one, as: String.self) }
        #expect(throws: PostgresError.self) { try row.get(one, as: Bool.self) }
        #expect(throws: PostgresError.self) { try row.get(nothing, as: String.self) }
        let error = try #require(throws: PostgresError.self) { try row.get(try result.column("a"), as: Int.self) }
        #expect(error.kind == .bug)
        #expect(try row.get(one, as: Int?.self) == 1)
    }

    @Test func aUniqueViolationIsAConstraintError() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let table = try await freshTable(connection, "sid text PRIMARY KEY")
        try await connection.execute("INSERT INTO \(table) (sid) VALUES ($1)", ["SM1"])
        let error = try await #require(throws: PostgresError.self) {
            try await connection.execute("INSERT INTO \(table) (sid) VALUES ($1)", ["SM1"])
        }
        #expect(error.kind == .constraint && error.isUniqueViolation && error.sqlState == "23505")
        #expect(error.constraint == "\(table)_pkey")
        let skipped = try await connection.execute(
            "INSERT INTO \(table) (sid) VALUES ($1) ON CONFLICT DO NOTHING", ["SM1"])
        #expect(skipped.affectedRows == 0)
    }

    @Test func aStatementErrorLeavesTheConnectionUsable() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let syntax = try await #require(throws: PostgresError.self) { try await connection.execute("SELEC 1") }
        #expect(syntax.kind == .bug && syntax.sqlState == "42601")
        let range = try await #require(throws: PostgresError.self) {
            try await connection.execute("SELECT $1::int", [.integer(1 << 40)])
        }
        #expect(range.kind == .invalidData)
        let nul = try await #require(throws: PostgresError.self) {
            try await connection.execute("SELECT $1", ["a\u{0}b"])
        }
        #expect(nul.kind == .invalidData)
        let result = try await connection.execute("SELECT $1::int + 1 AS two", [1])
        #expect(try result.rows[0].get(result.column("two"), as: Int.self) == 2)
        #expect(!connection.isBroken)
    }

    @Test func aTransactionRolledBackLeavesNothing() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let table = try await freshTable(connection, "id int PRIMARY KEY")
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await connection.transaction { session in
                try session.execute("INSERT INTO \(table) (id) VALUES ($1)", [1])
                throw Refused()
            }
        }
        // A failed statement caught inside: the transaction is not committed, and says so.
        await #expect(throws: PostgresError.self) {
            try await connection.transaction { session in
                try session.execute("INSERT INTO \(table) (id) VALUES ($1)", [2])
                _ = try? session.execute("INSERT INTO \(table) (id) VALUES ($1)", [2])
            }
        }
        #expect(try await connection.execute("SELECT id FROM \(table)").rows.isEmpty)
        try await connection.transaction { session in
            try session.execute("INSERT INTO \(table) (id) VALUES ($1)", [3])
        }
        #expect(try await connection.execute("SELECT id FROM \(table)").rows.count == 1)
    }

    @Test func notifyReachesAListeningConnection() async throws {
        let listener = try await PostgresListener.listen(uri, channels: ["handoff_events", "other \"channel\""])
        defer { listener.close() }
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        try await connection.execute("SELECT pg_notify($1, $2)", ["handoff_events", "42"])
        try await connection.transaction { session in
            try session.execute("NOTIFY \"other \"\"channel\"\"\", 'in a transaction'")
            try session.execute("SELECT pg_notify($1, '')", ["handoff_events"])
        }
        var received: [PostgresNotification] = []
        for try await notification in listener.notifications {
            received.append(notification)
            if received.count == 3 { break }
        }
        let pid = try await connection.withSession { $0.backendPID }
        #expect(received.map(\.channel) == ["handoff_events", "other \"channel\"", "handoff_events"])
        #expect(received.map(\.payload) == ["42", "in a transaction", ""])
        #expect(received.allSatisfy { $0.backendPID == pid })
    }

    @Test func aKilledBackendIsUnavailableAndEndsAListener() async throws {
        let connection = try await PostgresConnection.connect(uri)
        defer { connection.close() }
        let listener = try await PostgresListener.listen(uri, channels: ["killed"])
        defer { listener.close() }
        let victim = try await PostgresConnection.connect(uri)
        defer { victim.close() }
        let pid = try await victim.withSession { $0.backendPID }
        try await connection.execute("SELECT pg_terminate_backend($1, 5000)", [.integer(Int64(pid))])
        let error = try await #require(throws: PostgresError.self) { try await victim.execute("SELECT 1") }
        #expect(error.kind == .unavailable)
        #expect(victim.isBroken)

        try await connection.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE query = 'LISTEN \"killed\"'")
        let ended = try await #require(throws: PostgresError.self) {
            for try await _ in listener.notifications {}
        }
        #expect(ended.kind == .unavailable)
    }
}

@Suite(.enabled(if: serverURI != nil, "HANDOFF_TEST_POSTGRES is not set (.ci/postgres.sh start DIR)"))
struct PostgresPoolTests {
    let uri = serverURI ?? ""

    @Test func replacesAConnectionKilledWhileIdle() async throws {
        let pool = PostgresPool(uri: uri, size: 1)
        let killer = try await PostgresConnection.connect(uri)
        defer { killer.close() }
        let first = try await pool.withSession { $0.backendPID }
        #expect(try await pool.withSession { $0.backendPID } == first)
        try await killer.execute("SELECT pg_terminate_backend($1, 5000)", [.integer(Int64(first))])
        // Idle connections are checked on lease: this one is dropped, not handed out.
        let result = try await pool.execute("SELECT pg_backend_pid() AS pid")
        #expect(try result.rows[0].get(result.column("pid"), as: Int.self) != Int(first))
        await pool.close()
    }

    @Test func connectsOnceTheServerIsBackAndTheBackoffIsOver() async throws {
        // The server's Unix socket, reached through a folder of ours: no link, no server.
        let server = try await PostgresConnection.connect(uri)
        defer { server.close() }
        let settings = try await server.execute(
            "SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS dir, current_setting('port') AS port"
        )
        let socketDirectory = try settings.rows[0].get(settings.column("dir"), as: String.self)
        let port = try settings.rows[0].get(settings.column("port"), as: String.self)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let components = try #require(URLComponents(string: uri))
        let pool = PostgresPool(
            uri: "postgresql://\(components.user ?? "")@\(components.path)?host=\(folder.path)&port=\(port)", size: 1,
            minimumBackoff: .seconds(1))

        let down = try await #require(throws: PostgresError.self) { try await pool.execute("SELECT 1") }
        #expect(down.kind == .unavailable)
        let link = folder.appendingPathComponent(".s.PGSQL.\(port)")
        try FileManager.default.createSymbolicLink(
            atPath: link.path, withDestinationPath: "\(socketDirectory)/.s.PGSQL.\(port)")
        // Within the backoff (at least 0.8 × 1 s: with 300 ms a loaded machine could reach this
        // second attempt after the backoff, which then connected): not tried.
        let waiting = try await #require(throws: PostgresError.self) { try await pool.execute("SELECT 1") }
        #expect(waiting.message.contains("next attempt"))
        try await Task.sleep(for: .milliseconds(1_300))  // past the backoff (at most 1.2 × 1 s)
        let pid = try await pool.withSession { $0.backendPID }

        // Lost while serving: the lease that meets it fails, the next one connects again.
        try FileManager.default.removeItem(at: link)
        try await server.execute("SELECT pg_terminate_backend($1, 5000)", [.integer(Int64(pid))])
        await #expect(throws: PostgresError.self) { try await pool.execute("SELECT 1") }
        try FileManager.default.createSymbolicLink(
            atPath: link.path, withDestinationPath: "\(socketDirectory)/.s.PGSQL.\(port)")
        try await Task.sleep(for: .milliseconds(1_300))  // past the backoff (at most 1.2 × 1 s)
        #expect(try await pool.withSession { $0.backendPID } != pid)
        await pool.close()
    }

    @Test func aLeaseOnAKilledConnectionThrowsUnavailable() async throws {
        let pool = PostgresPool(uri: uri, size: 1)
        let killer = try await PostgresConnection.connect(uri)
        defer { killer.close() }
        let error = try await #require(throws: PostgresError.self) {
            try await pool.withSession { session in
                try session.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            }
        }
        #expect(error.kind == .unavailable)
        #expect(try await pool.withSession { !$0.isBroken })
        await pool.close()
    }

    @Test func aCancelledLeaseStopsWaiting() async throws {
        let pool = PostgresPool(uri: uri, size: 1)
        let holding = Atomic<Bool>(false)
        let holder = Task {
            try await pool.withSession { session in
                holding.store(true, ordering: .relaxed)
                try session.execute("SELECT pg_sleep(1)")
            }
        }
        while !holding.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        let started = ContinuousClock.now
        let waiting = Task { try await pool.execute("SELECT 1") }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(ContinuousClock.now - started < .milliseconds(700))
        _ = try await holder.value
        await pool.close()
    }

    @Test func concurrentLeasesNeverShareAConnection() async throws {
        let pool = PostgresPool(uri: uri, size: 4)
        final class Tracker: Sendable {
            let inUse = Mutex<Set<Int32>>([])
            let seen = Mutex<Set<Int32>>([])
            let shared = Atomic<Int>(0)
        }
        let tracker = Tracker()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    try await pool.withSession { session in
                        let pid = session.backendPID
                        if !tracker.inUse.withLock({ $0.insert(pid).inserted }) {
                            tracker.shared.add(1, ordering: .relaxed)
                        }
                        tracker.seen.withLock { _ = $0.insert(pid) }
                        try session.transaction { session in
                            try session.execute("SELECT pg_sleep(0.005), $1::int", [.integer(Int64(task))])
                        }
                        tracker.inUse.withLock { _ = $0.remove(pid) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(tracker.shared.load(ordering: .relaxed) == 0)
        #expect(tracker.seen.withLock { $0.count } <= 4)
        await pool.close()
    }
}
