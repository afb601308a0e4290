import Foundation
public import Postgres

/// The throwaway PostgreSQL server `.ci/postgres.sh` starts (`make test` does), as a URI; nil
/// when none is set, and the PostgreSQL suites skip.
public let postgresTestServer = ProcessInfo.processInfo.environment["HANDOFF_TEST_POSTGRES"]

/// A database of its own on the test server, dropped afterwards.
public struct ScratchDatabase: Sendable {
    public let name: String
    public let uri: String
    public let connection: PostgresConnection

    /// Runs `body` with a new database, then drops it whatever `body` did.
    public static func with<T: Sendable>(_ body: (ScratchDatabase) async throws -> T) async throws -> T {
        let name = "scratch_\(UUID().uuidString.prefix(12).lowercased().replacing("-", with: ""))"
        try await admin("CREATE DATABASE \(name)")
        let uri = databaseURI(name)
        let result: Result<T, any Error>
        do {
            let connection = try await PostgresConnection.connect(uri)
            result = await Result(catching: {
                try await body(ScratchDatabase(name: name, uri: uri, connection: connection))
            })
            connection.close()
        } catch {
            result = .failure(error)
        }
        try await admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        return try result.get()
    }

    private static func admin(_ sql: String) async throws {
        let admin = try await PostgresConnection.connect(postgresTestServer ?? "")
        defer { admin.close() }
        try await admin.execute(sql)
    }

    /// The test server's URI with `name` as its database (the query string kept).
    public static func databaseURI(_ name: String) -> String {
        let base = postgresTestServer ?? ""
        let query = base.firstIndex(of: "?").map { String(base[$0...]) } ?? ""
        let withoutQuery = base.prefix(while: { $0 != "?" })
        let slash = withoutQuery.lastIndex(of: "/") ?? withoutQuery.endIndex
        return withoutQuery[..<slash] + "/" + name + query
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async body.
    public init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
