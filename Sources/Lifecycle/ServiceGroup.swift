import Synchronization

/// Runs the long-running parts of a process as one: starts them in order, runs them together, and
/// stops them in reverse order, each stop finished before the next begins.
///
/// The stop begins when `shutdown` fires, or when one service fails (in `start` or `run`) or
/// returns on its own; the first failure is then thrown. Cancelling the task that runs the group
/// cancels every service at once instead.
public struct ServiceGroup: Sendable {
    /// A service ended `run` before anyone asked it to stop.
    public struct ServiceEnded: Error, CustomStringConvertible {
        public let service: String
        public var description: String { "\(service) stopped on its own" }
    }

    private let services: [any Service]

    /// `services` in start order (the last one started is the first stopped).
    public init(_ services: [any Service]) {
        self.services = services
    }

    /// Starts every service, calls `whenStarted`, and runs until `shutdown` fires or a service
    /// ends; returns (or throws the first failure) once every started service stopped.
    public func run(until shutdown: Trigger, whenStarted: @Sendable () -> Void = {}) async throws {
        // Fired by `shutdown` or by the first service that ends: time to stop them all.
        let stop = Trigger()
        var stopping: Bool { stop.hasFired || shutdown.hasFired }
        let failure = FirstFailure()
        let fail: @Sendable (any Error) -> Void = { error in
            failure.record(error)
            stop.fire()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await shutdown.wait()
                stop.fire()
            }
            var running: [(shutdown: Trigger, ended: Trigger)] = []
            for service in services {
                guard !stopping, !Task.isCancelled else { break }
                do {
                    try await service.start()
                } catch {
                    fail(error)
                    break
                }
                let handle = (shutdown: Trigger(), ended: Trigger())
                running.append(handle)
                group.addTask {
                    defer { handle.ended.fire() }
                    do {
                        try await service.run(until: handle.shutdown)
                        if !handle.shutdown.hasFired, !Task.isCancelled {
                            fail(ServiceEnded(service: "\(type(of: service))"))
                        }
                    } catch {
                        fail(error)
                    }
                }
            }
            if running.count == services.count, !stopping { whenStarted() }
            await stop.wait()
            for handle in running.reversed() {
                handle.shutdown.fire()
                await handle.ended.wait()
            }
            // Only the watcher of `shutdown` may be left.
            group.cancelAll()
        }
        if let error = failure.error { throw error }
    }
}

/// The first error any service threw.
private final class FirstFailure: Sendable {
    private let first = Mutex<(any Error)?>(nil)

    var error: (any Error)? { first.withLock { $0 } }

    func record(_ error: any Error) { first.withLock { $0 = $0 ?? error } }
}
