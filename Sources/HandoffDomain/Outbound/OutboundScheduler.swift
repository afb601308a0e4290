package import Lifecycle
package import Logging

/// Sends scheduled proactive texts when they fall due: checked every second with a read,
/// written only when one is due (`OutboundService.releaseDue`, which checks consent and STOP
/// again), by the node that holds `lease` (nil: this node is alone on its database).
package final class OutboundScheduler: Service {
    private let outbound: OutboundService
    private let lease: ClusterLease?
    private let logger: Logger
    private let now: @Sendable () -> Int64
    static let interval = Duration.seconds(1)

    /// The name of the lease the releases run under.
    package static let leaseName = "outbound_scheduler"

    package init(
        outbound: OutboundService, lease: ClusterLease? = nil, logger: Logger,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.outbound = outbound
        self.lease = lease
        self.logger = logger
        self.now = now
    }

    /// Nothing to get ready: texts that fell due while the process was down go at the first check.
    package func start() {}

    /// Checks every `interval` until `shutdown` fires; then gives the lease back.
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
        try? await lease?.release()
    }

    /// Releases what is due now, in batches, until nothing is (each batch while this node holds
    /// the lease).
    func check() async throws {
        while let next = try await outbound.nextDue(), next <= now(), !Task.isCancelled,
            try await lease?.hold() ?? true
        {
            guard try await outbound.releaseDue() > 0 else { return }
        }
    }
}
