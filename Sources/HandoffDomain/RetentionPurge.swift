package import DatabaseDriver
package import Logging
import Storage
import Synchronization

/// Enforces `message_retention_days`: a minute after start and then every hour, purges what is
/// older (see `RetentionRepository`) in batches of short write transactions, so chat traffic is
/// never held up for long.
package final class RetentionPurge: Sendable {
    private let database: any Database
    private let retentionMilliseconds: Int64
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let task = Mutex<Task<Void, Never>?>(nil)
    static let batchSize = 500
    static let firstRun = Duration.seconds(60)
    static let interval = Duration.seconds(3600)

    package init(
        database: any Database, days: Int, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.retentionMilliseconds = Int64(days) * 86_400_000
        self.logger = logger
        self.now = now
    }

    package func start() {
        let loop = Task { [self] in
            var wait = Self.firstRun
            while !Task.isCancelled {
                try? await Task.sleep(for: wait)
                if Task.isCancelled { return }
                do {
                    try await run()
                } catch {
                    logger.error("retention purge failed", metadata: ["error": "\(error)"])
                }
                wait = Self.interval
            }
        }
        task.withLock { $0 = loop }
    }

    package func stop() async {
        let loop = task.withLock { $0 }
        loop?.cancel()
        await loop?.value
    }

    /// Purges everything past retention; returns the rows touched.
    @discardableResult
    func run() async throws -> Int {
        let now = now()
        let cutoff = now - retentionMilliseconds
        var total = 0
        while !Task.isCancelled {
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
