import Synchronization

/// A one-time event: `fire` once (from any thread, a signal handler's queue included), and every
/// task waiting in `wait` goes on; later waits return at once. A service's graceful shutdown is one.
public final class Trigger: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// True once `fire` was called.
    public var hasFired: Bool { state.withLock { $0.fired } }

    /// Fires the event (again: nothing happens) and resumes every waiter.
    public func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the event fired, or at once when the waiting task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Waits until the event fires or `duration` passes, whichever comes first; true when it fired.
    @discardableResult
    public func wait(atMost duration: Duration) async -> Bool {
        if hasFired { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
        return hasFired
    }
}

extension Trigger {
    /// Runs `work` until this fires, then cancels it; returns once it ended. For loops whose work
    /// in progress needs no finishing: a periodic check, a sleep.
    public func cancelling(_ work: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask(operation: work)
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
