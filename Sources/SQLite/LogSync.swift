internal import CSQLite
import DatabaseDriver
import Dispatch
import Foundation
import Synchronization

/// Makes group commits durable without holding up the writer. The writer connection commits at
/// `synchronous = NORMAL`, so a COMMIT writes its frames to the write-ahead log and returns
/// without waiting for the disk; the committed writes are then handed here, and are reported done
/// only after one `fdatasync` of the log, begun after their COMMIT, has returned. One flush covers
/// every group that committed while the previous flush ran, and the writer runs the next group
/// meanwhile: at `synchronous = FULL` it would sit in that flush itself.
///
/// Every acknowledged write is still on disk before its caller hears of it. Other connections may
/// read a committed row slightly before that; nothing is acknowledged, published or sent on the
/// strength of such a read alone (a write that finds it, such as a duplicate webhook, waits for a
/// flush itself, which covers the earlier frames too).
///
/// When a flush fails it is unknown what reached the disk (the kernel may already have dropped
/// the pages it could not write), so that flush's writes and every later one fail with an `io`
/// error until the process restarts.
final class LogSync: Sendable {
    /// What flushes a file descriptor: `fdatasync`, or a test's stand-in.
    typealias Flush = @Sendable (Int32) -> Int32

    private let logPath: String
    private let directoryPath: String
    private let flush: Flush
    private let queue = DispatchQueue(label: "handoff.storage.log-sync")
    private let state = Mutex(State())
    private let log = LogFile()

    private struct State {
        var waiting: [any WriteJob] = []
        var flushing = false
        var failure: StorageError?
    }

    /// Flushes the write-ahead log of the database at `databasePath`.
    init(databasePath: String, flush: @escaping Flush = { fdatasync($0) }) {
        logPath = databasePath + "-wal"
        directoryPath = URL(fileURLWithPath: databasePath).deletingLastPathComponent().path
        self.flush = flush
    }

    /// The error every write gets once a flush has failed.
    var failure: StorageError? { state.withLock { $0.failure } }

    /// After a successful COMMIT of `jobs` (on the writer queue): finishes them once the log is
    /// flushed. A group whose COMMIT wrote nothing to the log (`wroteLog` false: it only read, or
    /// found nothing to change) has nothing of its own to flush, but what it read may have been
    /// committed by a group whose flush is still to come: it finishes at once only when no flush is
    /// under way or waiting (every earlier group is durable), and otherwise waits like the others.
    func finishWhenDurable(_ jobs: [any WriteJob], wroteLog: Bool) {
        enum Next {
            case finish(StorageError?)
            case wait
            case flush
        }
        let next = state.withLock { state -> Next in
            if !wroteLog, !state.flushing { return .finish(state.failure) }
            state.waiting += jobs
            if state.flushing { return .wait }
            state.flushing = true
            return .flush
        }
        switch next {
        case .finish(let failure): for job in jobs { job.finish(commitError: failure) }
        case .wait: break
        case .flush: queue.async { self.flushWaiting() }
        }
    }

    /// Flushes the log now, on the calling thread's behalf (migrations, command-line tools).
    func flushNow() throws(StorageError) {
        if let failure = queue.sync(execute: { flushLog() }) { throw failure }
    }

    private func flushWaiting() {
        var jobs = takeWaiting()
        while !jobs.isEmpty {
            let failure = flushLog()
            // Taken before these jobs finish, so that `flushing` is false as soon as every group
            // handed over is durable: what their callers write next then finds no flush pending.
            let next = takeWaiting()
            for job in jobs { job.finish(commitError: failure) }
            jobs = next
        }
    }

    /// The groups waiting for a flush; when there are none, flushing ends.
    private func takeWaiting() -> [any WriteJob] {
        state.withLock { state in
            let jobs = state.waiting
            state.waiting = []
            if jobs.isEmpty { state.flushing = false }
            return jobs
        }
    }

    /// One flush of the log (on `queue`); the error, sticky, when it failed.
    private func flushLog() -> StorageError? {
        if let failure { return failure }
        let status: Int32
        switch log.open(path: logPath, directory: directoryPath, flush: flush) {
        case .file(let descriptor): status = flush(descriptor)
        // No log: nothing was committed since SQLite last folded it into the database.
        case .absent: status = 0
        case nil: status = -1
        }
        guard status != 0 else { return nil }
        let failure = StorageError(
            kind: .io,
            message: "flushing \(logPath) failed (\(String(cString: strerror(errno)))); "
                + "no write is accepted until the service restarts",
            driverCode: String(SQLITE_IOERR))
        state.withLock { $0.failure = failure }
        return failure
    }
}

/// The write-ahead log's file descriptor, reopened when the file at the path is a different one.
// @unchecked Sendable: used only on `LogSync`'s queue.
private final class LogFile: @unchecked Sendable {
    private var file: Int32 = -1
    private var identity: (device: UInt, inode: UInt)?

    /// What there is to flush.
    enum Target {
        case file(Int32)
        case absent
    }

    deinit { if file >= 0 { close(file) } }

    /// The open log, `.absent` when there is no log file, nil when it cannot be opened. A newly
    /// seen log file also gets its directory flushed, so that the file itself survives power loss.
    func open(path: String, directory: String, flush: LogSync.Flush) -> Target? {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno == ENOENT ? .absent : nil }
        let current = (device: UInt(status.st_dev), inode: UInt(status.st_ino))
        if let identity, identity == current { return .file(file) }
        if file >= 0 {
            close(file)
            file = -1
            identity = nil
        }
        let folder = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return nil }
        defer { close(folder) }
        let opened = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        guard flush(folder) == 0 else {
            close(opened)
            return nil
        }
        file = opened
        identity = current
        return .file(file)
    }
}
