import Dispatch
import Glibc
public import Lifecycle
import Synchronization

/// An HTTP/1.1 server on non-blocking POSIX sockets driven by Dispatch sources.
///
/// Each connection is confined to one serial queue from a small pool; its requests are handed
/// one at a time (pipelined ones wait their turn) to the responder, an `async` function whose
/// task runs on that same queue (`ConnectionQueueExecutor`). Timeouts are enforced by a sweep once per
/// `sweepInterval` while any connection is open (an idle server is not woken). `shutdown` stops accepting, lets in-flight requests finish within a grace
/// period and then closes what is left.
///
/// As a `Service`, `start` binds and `run` serves until its shutdown fires, then drains within
/// `configuration.drainTimeout`.
public final class HTTPServer: Service {
    /// Called with errors that became a 500 (not `HTTPError`s) and with accept failures.
    public typealias ErrorHandler = @Sendable (_ error: any Error, _ request: HTTPRequest?) -> Void

    private struct State {
        var listeners: [DispatchSourceBox<any DispatchSourceRead>] = []
        var port = 0
        var sweepTimer: DispatchSourceBox<any DispatchSourceTimer>?
        var started = false
    }

    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let onError: ErrorHandler
    private let state = Mutex(State())
    /// Open connections, and how many each peer address holds.
    private struct Registry {
        var connections: [ObjectIdentifier: HTTPConnection] = [:]
        var perAddress: [String: Int] = [:]
    }

    private let registry = Mutex(Registry())
    private let draining = Atomic<Bool>(false)
    /// Fired when the last connection closes while draining.
    private let lastConnectionClosed = Trigger()
    private let acceptQueue = DispatchQueue(label: "handoff.http.accept")
    private let connectionQueues: [DispatchQueue]
    /// One per connection queue, at the same index.
    private let scratches: [QueueScratch]
    private let nextQueue = Atomic<Int>(0)
    private let requestIDs = RequestIDGenerator()
    /// Whether the sweep timer is scheduled; read and written only on `acceptQueue`, where the
    /// timer fires and connections are admitted.
    private let sweepScheduled = Atomic<Bool>(false)
    /// How often timeouts are checked; a timeout fires at most this much late.
    let sweepInterval = Duration.milliseconds(250)

    public init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder,
        onError: @escaping ErrorHandler = { _, _ in }
    ) {
        self.configuration = configuration
        self.responder = responder
        self.onError = onError
        // Two queues per core measured best on loopback (bench/RESULTS.md): one per core leaves a
        // core idle while its queue's thread waits on the other's wake-ups; many more thrash.
        let queueCount = max(2, 2 * sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        connectionQueues = (0..<queueCount).map { DispatchQueue(label: "handoff.http.connections.\($0)") }
        scratches = (0..<queueCount).map { _ in QueueScratch(readByteCount: 32 * 1024) }
    }

    /// The bound port (useful after binding port 0); 0 before `start`.
    public var port: Int { state.withLock { $0.port } }

    /// True once `shutdown` began: readiness probes should fail.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Connections currently open.
    public var connectionCount: Int { registry.withLock { $0.connections.count } }

    /// Whether the timeout sweep is scheduled: from the first connection accepted until a sweep
    /// finds none open.
    public var isSweeping: Bool { acceptQueue.sync { sweepScheduled.load(ordering: .relaxed) } }

    /// Binds and starts accepting. Throws when the address is invalid or taken.
    public func start() throws(HTTPServerError) {
        let (fd, port) = try Socket.listen(
            host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let source = DispatchSourceBox(DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue))
        source.source.setEventHandler { [weak self] in self?.acceptPending(on: fd, source: source) }
        source.source.setCancelHandler { Socket.close(fd) }
        // Scheduled by the first accepted connection (`scheduleSweep`).
        let timer = DispatchSource.makeTimerSource(queue: acceptQueue)
        timer.setEventHandler { [weak self] in self?.sweep() }
        state.withLock {
            $0.listeners.append(source)
            $0.port = port
            $0.sweepTimer = DispatchSourceBox(timer)
            $0.started = true
        }
        source.source.resume()
        timer.resume()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (streams are
    /// cancelled), and after `gracePeriod` closes whatever is still open.
    public func shutdown(gracePeriod: Duration) async {
        draining.store(true, ordering: .relaxed)
        let listeners = state.withLock { state in
            defer { state.listeners = [] }
            return state.listeners
        }
        for listener in listeners { listener.source.cancel() }
        // After `draining` is set, whoever leaves the registry empty fires: this check, or the
        // connection that closes last (`connectionClosed` reads `draining` after its removal).
        let open = registry.withLock { Array($0.connections.values) }
        if open.isEmpty { lastConnectionClosed.fire() }
        for connection in open { connection.beginDrain() }
        let drained = await lastConnectionClosed.wait(atMost: gracePeriod)
        if !drained {
            for connection in registry.withLock({ Array($0.connections.values) }) { connection.forceClose() }
            await lastConnectionClosed.wait()
        }
        state.withLock { $0.sweepTimer?.source.cancel() }
    }

    /// Serves until `shutdown` fires, then drains (at once when the task is cancelled).
    public func run(until shutdown: Trigger) async {
        await shutdown.wait()
        await self.shutdown(gracePeriod: Task.isCancelled ? .zero : configuration.drainTimeout)
    }

    private func acceptPending(on listener: Int32, source: DispatchSourceBox<any DispatchSourceRead>) {
        for _ in 0..<256 {
            let accepted: (fd: Int32, peer: String)?
            do {
                accepted = try Socket.accept(listener)
            } catch {
                onError(error, nil)
                // Out of descriptors: pause accepting briefly instead of spinning on the event.
                source.source.suspend()
                acceptQueue.asyncAfter(deadline: .now() + .milliseconds(100)) { source.source.resume() }
                return
            }
            guard let (fd, peer) = accepted else { return }
            if isDraining || connectionCount >= configuration.maxConnections {
                refuse(fd, Self.atCapacity)
                continue
            }
            let index = nextQueue.add(1, ordering: .relaxed).oldValue % connectionQueues.count
            let admitted = registry.withLock { registry -> HTTPConnection? in
                // Checked again under the lock: `shutdown` either drains this connection or it
                // is refused here, never left out of the drain.
                guard !isDraining else { return nil }
                let held = registry.perAddress[peer, default: 0]
                guard held < configuration.maxConnectionsPerAddress || configuration.isExemptPeer(peer)
                else { return nil }
                let connection = HTTPConnection(
                    fd: fd, peer: peer, queue: connectionQueues[index], scratch: scratches[index], server: self)
                registry.connections[ObjectIdentifier(connection)] = connection
                registry.perAddress[peer] = held + 1
                return connection
            }
            guard let admitted else {
                refuse(
                    fd,
                    isDraining
                        ? Self.atCapacity
                        : HTTPError(
                            .tooManyRequests, code: "too_many_connections",
                            message: "This address has too many open connections; close some and retry.",
                            headers: [("Retry-After", "1")]))
                continue
            }
            scheduleSweep()
            admitted.start()
        }
    }

    /// The answer to a connection past `maxConnections`, or one arriving while draining.
    private static let atCapacity = HTTPError(
        .serviceUnavailable, code: "overloaded", message: "The server is at its connection limit; retry shortly.",
        headers: [("Retry-After", "1")])

    /// Answers a connection over a cap with `error` and closes it, without reading its request.
    private func refuse(_ fd: Int32, _ error: HTTPError) {
        let response = error.response
        guard case .bytes(let body) = response.body else { return }
        let head = HTTPResponseHead(
            status: response.status, headers: response.headers, framing: .contentLength(body.count), keepAlive: false)
        let date = Array(HTTPDate.format(time(nil)).utf8)
        let bytes = head.encoded(serverName: configuration.serverName, date: date) + body
        // Best effort: a peer that is gone or a full send buffer just gets the close.
        _ = bytes.withUnsafeBytes { Socket.write(fd, $0) }
        Socket.close(fd)
    }

    /// On `acceptQueue`, for a connection just admitted: sweeps from now on, if not already.
    private func scheduleSweep() {
        guard !sweepScheduled.load(ordering: .relaxed), let timer = state.withLock({ $0.sweepTimer }) else { return }
        let interval = DispatchTimeInterval.nanoseconds(Int(sweepInterval.components.attoseconds / 1_000_000_000))
        timer.source.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        sweepScheduled.store(true, ordering: .relaxed)
    }

    /// On `acceptQueue`: checks every connection's timeouts; with none open, stops until the next
    /// accept, so an idle server sleeps.
    private func sweep() {
        let now = ContinuousClock.now
        let open = registry.withLock { Array($0.connections.values) }
        guard !open.isEmpty else {
            state.withLock { $0.sweepTimer }?.source.schedule(deadline: .distantFuture, repeating: .never)
            sweepScheduled.store(false, ordering: .relaxed)
            return
        }
        for connection in open { connection.checkTimeouts(now: now) }
    }

    /// Called by a connection once its descriptor is closed.
    func connectionClosed(_ connection: HTTPConnection) {
        let empty = registry.withLock { registry -> Bool in
            guard registry.connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return false }
            let held = registry.perAddress[connection.peer, default: 1] - 1
            registry.perAddress[connection.peer] = held > 0 ? held : nil
            return registry.connections.isEmpty
        }
        if empty, isDraining { lastConnectionClosed.fire() }
    }

    /// Answers `request` as a connection does once it has read it, without a socket: the request
    /// gets its id, and a thrown error becomes its response (anything but an `HTTPResponseError`
    /// is a 500, reported to `onError`). For in-process tests of the responder; the server adds the
    /// framing headers (`Date`, `Content-Length`, `Connection`) only when it writes to a socket.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var request = request
        request.requestID = requestID(for: request)
        return await response(to: request)
    }

    /// The responder's answer to a request that already has its id, with errors rendered.
    func response(to request: HTTPRequest) async -> HTTPResponse {
        do {
            return try await responder.respond(to: request)
        } catch let error as any HTTPResponseError {
            return error.response
        } catch {
            onError(error, request)
            return HTTPError(.internalServerError, code: "internal_error", message: "The server failed to respond.")
                .response
        }
    }

    /// The request id to use: the client's `X-Request-Id` when it is short and plain, else a new one.
    func requestID(for request: HTTPRequest) -> String {
        if let given = request.headers["X-Request-Id"], (1...64).contains(given.utf8.count),
            given.utf8.allSatisfy({ RequestIDGenerator.isPlain($0) })
        {
            return given
        }
        return requestIDs.next()
    }
}

/// Request ids: a random per-process prefix and a counter, e.g. `9f3a61c2-1b`.
private final class RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        prefix = String(repeating: "0", count: 8 - hex.count) + hex
    }

    func next() -> String {
        "\(prefix)-\(String(counter.add(1, ordering: .relaxed).newValue, radix: 16))"
    }

    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }
}

/// Holds a Dispatch source across threads.
// @unchecked Sendable: Dispatch sources are thread-safe objects; only resume, suspend, cancel and
// (for the sweep timer, on its queue) schedule are called on them, and each is resumed once per
// suspension.
private final class DispatchSourceBox<Source>: @unchecked Sendable {
    let source: Source

    init(_ source: Source) { self.source = source }
}
