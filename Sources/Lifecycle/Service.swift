/// A long-running part of the process (a listener, a loop), run by a `ServiceGroup`.
///
/// Its initializer only stores what it is given: whatever takes a resource (binding a socket,
/// recovering rows) happens in `start`, and the work in `run`.
public protocol Service: Sendable {
    /// Gets ready: binds, recovers, whatever the services started after this one rely on. The
    /// group starts the next service only once this returned. (A synchronous `start` fits too.)
    func start() async throws

    /// Does the work until `shutdown` fires, then finishes what is under way (gracefully, within
    /// its own bounds) and returns. Cancellation means: stop now.
    func run(until shutdown: Trigger) async throws
}
