import DatabaseDriver
import Foundation
import Postgres
import SQLite
import Storage
import TestSupport
import Testing

/// The storage backends a test runs on: a SQLite file, and a scratch database on the PostgreSQL
/// test server when one is set (`HANDOFF_TEST_POSTGRES`, as `make test` sets it).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    /// SQLite always; PostgreSQL when its test server is set.
    static var available: [Backend] { postgresTestServer == nil ? [.sqlite] : allCases }

    var testDescription: String { rawValue }

    /// The backend `TestApplication` starts the service on: SQLite, or PostgreSQL when
    /// `HANDOFF_TEST_BACKEND=postgresql` (`make test`'s second pass over the integration suites).
    static let ofTestApplication: Backend = {
        guard let name = ProcessInfo.processInfo.environment["HANDOFF_TEST_BACKEND"] else { return .sqlite }
        guard let backend = Backend(rawValue: name) else {
            fatalError("HANDOFF_TEST_BACKEND is \(name): it must be sqlite or postgresql")
        }
        return backend
    }()

    /// For a suite or test about SQLite itself (its files, WAL, lock, faults): skipped, with
    /// `reason`, on the PostgreSQL pass.
    static func sqliteOnly(_ reason: String) -> ConditionTrait {
        .enabled(if: ofTestApplication == .sqlite, "SQLite only: \(reason)")
    }

    /// Runs `body` on a new database of this backend, migrated, that nothing else uses.
    func withDatabase(_ body: (any Database) async throws -> Void) async throws {
        let migrations = TestApplication.repositoryRoot.appendingPathComponent("migrations")
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let database = try SQLiteDatabase(path: directory.file("db.sqlite").path, readers: 2)
            let migrator = try Migrator(directory: migrations.path)
            try await database.withWriter { try migrator.migrate($0) }
            try await body(database)
        case .postgresql:
            try await ScratchDatabase.with { scratch in
                let pool = PostgresPool(uri: scratch.uri, size: 6)
                // With the write gate the service uses (DatabaseSetup).
                let database = PostgresDatabase(pool: pool, writeGate: "schema_migrations")
                let result = await Result(catching: {
                    let migrator = try Migrator(directory: migrations.appendingPathComponent("postgres").path)
                    try await database.withWriter { try migrator.migrate($0) }
                    try await body(database)
                })
                await pool.close()
                try result.get()
            }
        }
    }
}
