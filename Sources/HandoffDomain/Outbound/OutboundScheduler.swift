package import Lifecycle
package import Logging

/// Sends scheduled proactive texts when they fall due: checked every second with a read,
/// written only when one is due (`OutboundService.releaseDue`, which checks consent and STOP
/// again). A text is released by the first node that claims it.
package final class OutboundScheduler: Service {
    private let outbound: OutboundService
    private let logger: Logger
    private let now: @Sendable () -> Int64
    static let interval = Duration.seconds(1)

    package init(
        outbound: OutboundService, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.outbound = outbound
        self.logger = logger
        self.now = now
    }

    /// Nothing to get ready: texts that fell due while the process was down go at the first check.
    package func start() {}

    /// Checks every `interval` until `shutdown` fires.
    package func run(until shutdown: Trigger) async {
        await shutdown.cancelling { [self] in
            while (try? await Task.sleep(for: Self.interval)) != nil {
                do {
                    try await check()
                } catch {
                    logger.error("scheduled texts not released", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Releases what is due now, in batches, until nothing is.
    func check() async throws {
        while let next = try await outbound.nextDue(), next <= now(), !Task.isCancelled {
            guard try await outbound.releaseDue() > 0 else { return }
        }
    }
}
