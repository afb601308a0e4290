import Foundation
import TestSupport
import Testing

@testable import DatabaseDriver
@testable import HandoffDomain
@testable import HandoffService

/// Counters for `/metrics` that a write's body increments count what committed: a PostgreSQL
/// serialization failure runs the body again, and a body that throws commits nothing.
@Suite struct TransactionCountsTests {
    /// Runs every write's body twice, as PostgreSQL's driver does after a serialization failure:
    /// once in a transaction that rolls back, then for real.
    struct RetryingDatabase: Database {
        struct SerializationFailure: Error {}
        let inner: any Database

        func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
            do {
                try await inner.write { connection -> T in
                    _ = try body(connection)
                    throw SerializationFailure()
                }
            } catch is SerializationFailure {}
            return try await inner.write(body)
        }

        func read<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
            try await inner.read(body)
        }

        func withWriter<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
            try await inner.withWriter(body)
        }
    }

    struct Refused: Error {}

    @Test func aRetriedBodyCountsOnceAndARolledBackOneNotAtAll() async throws {
        try await TestApplication.inProcess { application, _, _ in
            let counters = ServiceCounters()
            let timeline = Timeline(
                database: RetryingDatabase(inner: application.database), events: nil,
                webhooks: EventWebhooks(isEnabled: false)
            ) { _ in }
            try await timeline.write { $0.count("handoff_escalations_total", [("reason", "retried")], in: counters) }
            await #expect(throws: Refused.self) {
                try await timeline.write { writer in
                    writer.count("handoff_escalations_total", [("reason", "refused")], in: counters)
                    throw Refused()
                }
            }
            let text = counters.render()
            #expect(text.contains(#"handoff_escalations_total{reason="retried"} 1"#), "\(text)")
            #expect(!text.contains(#"reason="refused""#), "\(text)")
        }
    }
}
