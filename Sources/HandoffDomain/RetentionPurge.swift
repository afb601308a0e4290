package import DatabaseDriver
package import Lifecycle
package import Logging
import Storage

/// Enforces `message_retention_days`: a minute after start and then every hour, purges what is
/// older (see `RetentionRepository`) in batches of short write transactions, so chat traffic is
/// never held up for long. Each batch runs only on the node that holds `lease` (nil: this node is
/// alone on its database).
package final class RetentionPurge: Service {
    private let database: any Database
    private let retentionMilliseconds: Int64
    private let lease: ClusterLease?
    private let logger: Logger
    private let now: @Sendable () -> Int64
    static let batchSize = 500
    static let firstRun = Duration.seconds(60)
    static let interval = Duration.seconds(3600)

    /// The name of the lease the purge runs under, and its length: the holder keeps it from one
    /// purge to the next; when it dies, another node's next hourly round takes over.
    package static let leaseName = "retention_purge"
    package static let leaseDuration = interval * 2

    package init(
        database: any Database, days: Int, lease: ClusterLease? = nil, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.retentionMilliseconds = Int64(days) * 86_400_000
        self.lease = lease
        self.logger = logger
        self.now = now
    }

    /// Nothing to get ready: the first purge comes `firstRun` after the start.
    package func start() {}

    /// Purges `firstRun` after the start and then every `interval`, until `shutdown` fires (a
    /// purge under way stops after its current batch); then gives the lease back.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            var wait = Self.firstRun
            while (try? await Task.sleep(for: wait)) != nil {
                do {
                    try await purge()
                } catch {
                    logger.error("retention purge failed", metadata: ["error": "\(error)"])
                }
                wait = Self.interval
            }
        }
        try? await lease?.release()
    }

    /// Purges everything past retention while this node holds the lease; returns the rows touched.
    @discardableResult
    func purge() async throws -> Int {
        let now = now()
        let cutoff = now - retentionMilliseconds
        var total = 0
        while !Task.isCancelled, try await lease?.hold() ?? true {
            let touched = try await database.write {
                try RetentionRepository($0).purge(before: cutoff, now: now, limit: Self.batchSize)
            }
            total += touched
            if touched == 0 { break }
        }
        if total > 0 {
            logger.info(
                "retention purge", metadata: ["rows": "\(total)", "days": "\(retentionMilliseconds / 86_400_000)"])
        }
        return total
    }
}
