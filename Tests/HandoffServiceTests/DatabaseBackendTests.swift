import Foundation
import HandoffService
import Testing

/// `HANDOFF_DATABASE` as a SQLite file or a PostgreSQL URI, `HANDOFF_DATABASE_POOL`, `HANDOFF_NODE_ID`.
@Suite struct DatabaseBackendTests {
    func load(_ environment: [String: String]) throws -> Configuration {
        try ConfigurationLoader(environment: environment).load(configPath: nil).configuration
    }

    @Test func aPathIsSQLiteAndAURIIsPostgres() throws {
        #expect(try load([:]).databaseBackend == .sqlite(path: "./data/handoff.sqlite"))
        for uri in ["postgresql://h@db:5432/handoff?sslmode=verify-full", "postgres://db/handoff"] {
            let configuration = try load(["HANDOFF_DATABASE": uri])
            #expect(configuration.databaseBackend == .postgres(uri: uri))
            #expect(configuration.databaseBackend.migrations(in: "./migrations") == "./migrations/postgres")
        }
        #expect(DatabaseBackend("./postgres.sqlite").migrations(in: "m") == "m")
    }

    @Test func aMalformedURIIsRefusedNamingTheSetting() throws {
        let error = try #require(throws: HandoffServiceError.self) {
            try load(["HANDOFF_DATABASE": "postgresql://db/handoff?no_such_option=1"])
        }
        #expect(error.field == "HANDOFF_DATABASE" && error.message.contains("no_such_option"))
    }

    @Test func thePasswordIsNeverShown() {
        let shown = DatabaseBackend("postgresql://app:s3cret@db:5432/handoff?sslmode=require&password=other&x=1")
            .description
        #expect(!shown.contains("s3cret") && !shown.contains("other"))
        #expect(shown == "postgresql://app:***@db:5432/handoff?sslmode=require&password=***&x=1")
        #expect(DatabaseBackend("postgresql://app@db/handoff").description == "postgresql://app@db/handoff")
    }

    @Test func poolAndNodeID() throws {
        let defaults = try load([:])
        #expect(defaults.databasePool == 8)
        #expect(defaults.nodeID.hasSuffix("-\(ProcessInfo.processInfo.processIdentifier)"))
        let set = try load(["HANDOFF_DATABASE_POOL": "3", "HANDOFF_NODE_ID": "node-a"])
        #expect(set.databasePool == 3 && set.nodeID == "node-a")
        #expect(throws: HandoffServiceError.self) { try load(["HANDOFF_DATABASE_POOL": "0"]) }
    }

    @Test func backupAndRestoreOnPostgresSayToUsePgDump() throws {
        var configuration = Configuration()
        configuration.databasePath = "postgresql://app:s3cret@127.0.0.1:1/handoff"
        for attempt in [
            { try DatabaseBackup.run(configuration, to: "/tmp/never-written") },
            { _ = try DatabaseBackup.restore(configuration, from: "/tmp/never-read") },
        ] {
            let error = try #require(throws: HandoffServiceError.self) { try attempt() }
            #expect(error.code == "backup_postgres" && error.message.contains("pg_dump"))
            #expect(!error.message.contains("s3cret"))
        }
    }
}
