/// A run (a `ServiceGroup`'s, an application's) on a task of its own, for a caller that has no
/// task to give it: a test, or a program that embeds the service. `stop` is its graceful shutdown.
public final class BackgroundRun: Sendable {
    private let shutdown: Trigger
    private let task: Task<Void, any Error>

    private init(shutdown: Trigger, task: Task<Void, any Error>) {
        self.shutdown = shutdown
        self.task = task
    }

    /// Starts `body` with a shutdown trigger and a `started` callback; returns once `body` called
    /// it, or throws what ended `body` before.
    public static func start(
        _ body:
            @escaping @Sendable (_ shutdown: Trigger, _ started: @escaping @Sendable () -> Void) async throws -> Void
    ) async throws -> BackgroundRun {
        let (shutdown, started, ended) = (Trigger(), Trigger(), Trigger())
        let task = Task {
            defer {
                ended.fire()
                started.fire()
            }
            try await body(shutdown, started.fire)
        }
        await started.wait()
        if ended.hasFired { try await task.value }
        return BackgroundRun(shutdown: shutdown, task: task)
    }

    /// Fires the shutdown and waits for the run to end; throws what it threw.
    public func stop() async throws {
        shutdown.fire()
        try await task.value
    }
}

extension ServiceGroup {
    /// Runs the group on a task of its own; returns once every service started.
    public func runInBackground() async throws -> BackgroundRun {
        try await BackgroundRun.start { shutdown, started in try await run(until: shutdown, whenStarted: started) }
    }
}
