import Lifecycle
import Logging

/// A service that needs the database to start (the outbox dispatcher resumes interrupted rows),
/// on a node whose PostgreSQL was down when it started: the group goes on at once (the server
/// listens, writes answer 503, `/readyz` 503), while this tries `prepare` (the migration) and the
/// service's own start again with backoff (250 ms to 5 s) until both succeed, then runs it.
struct StartsWhenDatabaseIsBack: Service {
    let prepare: @Sendable () async throws -> Void
    let service: any Service
    let logger: Logger

    func start() async throws {}

    func run(until shutdown: Trigger) async throws {
        var delay = Duration.milliseconds(250)
        while true {
            do {
                try await prepare()
                try await service.start()
                logger.info("database available")
                break
            } catch {
                logger.warning("database still unavailable", metadata: ["error": "\(error)"])
                if await shutdown.wait(atMost: delay) { return }
                delay = min(delay * 2, .seconds(5))
            }
        }
        try await service.run(until: shutdown)
    }
}
