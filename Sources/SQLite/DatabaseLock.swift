public import DatabaseDriver
import Foundation
import Synchronization

/// An exclusive advisory lock (`flock`) on `<database>.lock`: the daemon holds it while it runs,
/// and `handoff restore` takes it, so a database in use is never replaced and two daemons never
/// share one file. The kernel releases it when the process dies, `kill -9` included.
public final class DatabaseLock: Sendable {
    private let descriptor = Mutex<Int32?>(nil)

    /// Takes the lock, or throws `busy` when another process (or object) holds it.
    public init(databasePath: String) throws(StorageError) {
        let path = databasePath + ".lock"
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StorageError(kind: .cannotOpen, message: "cannot open \(path): errno \(errno)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StorageError(
                kind: .busy, message: "\(databasePath) is in use by another handoff process (\(path))")
        }
        descriptor.withLock { $0 = fd }
    }

    /// Gives the lock up (also done on deinit).
    public func release() {
        descriptor.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    deinit { release() }
}
