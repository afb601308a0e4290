/// A database as use cases reach it: writes, each in a transaction that commits before the
/// write returns, and reads, each on a consistent snapshot. Bodies are synchronous and run on
/// the driver's own queue or thread (never on Swift's cooperative pool), with a `Connection`
/// they must not keep.
///
/// A driver may run several writes in one transaction (SQLite's group commit does, each in its
/// own savepoint), but a write that throws leaves no trace, and a write that returns is durable.
public protocol Database: Sendable {
    /// Runs `body` in a write transaction and returns its result once committed and durable. A
    /// throwing body leaves no trace and rethrows.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T

    /// Runs `body` in a read transaction: every statement of it sees the same committed snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T

    /// Runs `body` on a writing connection with no transaction around it (migrations open their
    /// own with `Connection.transaction`), after the writes queued before it; returns once what it
    /// committed is durable.
    @discardableResult
    func withWriter<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T
}

/// What a write's body must see of the task that asked for it (task-local values, such as the
/// request it serves), carried to the queue or thread where the driver runs the body, which
/// task-locals do not reach. Drivers do not look inside: the service decides what a context holds
/// and how it is restored.
public protocol WriteContext: Sendable {
    /// Runs `body` (where the driver runs writes) with the captured values in place.
    func restore<T>(_ body: () throws -> T) rethrows -> T
}

extension Optional where Wrapped == any WriteContext {
    /// Runs `body` inside the context, or as it is when there is none.
    public func restore<T>(_ body: () throws -> T) rethrows -> T {
        guard let context = self else { return try body() }
        return try context.restore(body)
    }
}
