import Dispatch

/// Runs tasks on a connection queue instead of Swift's pool: a response task started there runs
/// on the thread that read its request, after that read returns, and the response goes out from
/// the same thread. A request that does not wait on anything costs no thread switch, and one that
/// waits (a database write) is resumed on the queue as it would be on the pool.
final class ConnectionQueueExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
