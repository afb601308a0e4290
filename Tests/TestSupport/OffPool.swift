import Foundation

/// Runs blocking work (a child process, a blocking read) on a thread of its own and awaits it.
///
/// Swift's cooperative pool has one thread per core; a test that blocks one can starve the
/// servers under test, whose handlers need those threads.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
