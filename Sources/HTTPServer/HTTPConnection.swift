import Dispatch
import Glibc

/// One client connection: feeds received bytes to the parser, runs the responder for one request
/// at a time (pipelined requests wait in the parser's buffer), writes responses in order, applies
/// backpressure both ways and enforces the timeouts when the server's sweep asks.
// @unchecked Sendable: every mutable field is read and written only on `queue` (a serial queue).
final class HTTPConnection: @unchecked Sendable {
    private enum Phase {
        /// Waiting for (more of) a request.
        case reading
        /// The responder is working on a request, or its response is being written.
        case responding
        /// Output is flushed and our side is shut down; unread input is discarded until the peer
        /// closes or the linger time ends, so the last response is not lost to a reset.
        case lingering(until: ContinuousClock.Instant)
        case closed
    }

    private let fd: Int32
    /// The socket's peer address; the server counts connections per address by it.
    let peer: String
    private let queue: DispatchQueue
    /// Where reads land before the parser copies them, and the `Date` value; shared by the
    /// connections of `queue`.
    private let scratch: QueueScratch
    /// Runs the response task on `queue`.
    private let executor: ConnectionQueueExecutor
    private let server: HTTPServer
    private var parser: HTTPRequestParser
    private var phase = Phase.reading
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var readPaused = false
    private var writeArmed = false
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    /// Close once the current response is written (Connection: close, errors, HTTP/1.0, draining).
    private var closeAfterResponse = false
    private var draining = false
    private var peerClosed = false
    private var responseTask: Task<Void, Never>?
    /// True while `responseTask` produces a streamed body (which draining cancels).
    private var isStreaming = false
    private var streamWaiters: [CheckedContinuation<Void, any Error>] = []
    private var openSources = 0
    private var requestStartedAt = ContinuousClock.now
    private var lastReadAt = ContinuousClock.now
    /// When the current request's head was complete and its body began; nil outside a body.
    private var bodyStartedAt: ContinuousClock.Instant?
    private var lastWriteProgressAt = ContinuousClock.now
    private var idleSince = ContinuousClock.now

    /// Bytes of unread pipelined input at which reading pauses while a request is in flight.
    private static let inputHighWater = 64 * 1024
    /// Pending output at which a streaming writer is suspended, and where it resumes.
    private static let outputHighWater = 64 * 1024
    private static let outputLowWater = 16 * 1024
    private static let lingerTime = Duration.seconds(2)

    init(fd: Int32, peer: String, queue: DispatchQueue, scratch: QueueScratch, server: HTTPServer) {
        self.fd = fd
        self.peer = peer
        self.queue = queue
        self.scratch = scratch
        self.executor = ConnectionQueueExecutor(queue: queue)
        self.server = server
        self.parser = HTTPRequestParser(limits: server.configuration.parserLimits)
    }

    func start() {
        queue.async { [self] in
            let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            read.setEventHandler { [self] in readAvailable() }
            read.setCancelHandler { [self] in sourceCancelled() }
            let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            write.setEventHandler { [self] in flush() }
            write.setCancelHandler { [self] in sourceCancelled() }
            readSource = read
            writeSource = write
            openSources = 2
            read.resume()
        }
    }

    // MARK: Reading

    private func readAvailable() {
        switch phase {
        case .reading: readRequestBytes()
        case .responding: readWhileResponding()
        case .lingering: discardInput()
        case .closed: break
        }
    }

    private func readRequestBytes() {
        let wasMidRequest = parser.isMidRequest
        switch readIntoParser() {
        case .transferred:
            let now = ContinuousClock.now
            lastReadAt = now
            if !wasMidRequest { requestStartedAt = now }
            processInput()
        case .wouldBlock:
            break
        case .closed:
            peerClosed = true
            close()
        case .failed(let error):
            fail(error)
        }
    }

    private func readIntoParser() -> Socket.IOResult {
        let buffer = scratch.readBytes
        let result = Socket.read(fd, into: buffer)
        if case .transferred(let count) = result {
            parser.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return result
    }

    /// Input that arrives while a request is in flight stays in the parser's buffer (pipelining);
    /// past a limit reading pauses until the response is out.
    private func readWhileResponding() {
        switch readIntoParser() {
        case .transferred:
            if parser.bufferedByteCount > Self.inputHighWater { pauseReading() }
        case .wouldBlock:
            break
        case .closed:
            // The client is gone or half-closed: finish this response (if it can still be written),
            // then close. Streams are cancelled since nobody will read them.
            peerClosed = true
            closeAfterResponse = true
            pauseReading()
            responseTask?.cancel()
        case .failed(let error):
            fail(error)
        }
    }

    private func discardInput() {
        switch Socket.read(fd, into: scratch.readBytes) {
        case .transferred, .wouldBlock: break
        case .closed: close()
        case .failed(let error): fail(error)
        }
    }

    private func processInput() {
        while case .reading = phase {
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                closeAfterResponse = true
                pauseReading()
                phase = .responding
                send(error.httpError.response, for: nil)
                return
            }
            switch event {
            case nil:
                if parser.isReadingBody, bodyStartedAt == nil { bodyStartedAt = .now }
                return
            case .expectContinue:
                enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            case .request(var request):
                bodyStartedAt = nil
                request.remoteAddress = peer
                request.requestID = server.requestID(for: request)
                if !request.wantsKeepAlive || draining { closeAfterResponse = true }
                phase = .responding
                if parser.bufferedByteCount > Self.inputHighWater { pauseReading() }
                respond(to: request)
            }
        }
    }

    // MARK: Responding

    private func respond(to request: HTTPRequest) {
        let server = server
        responseTask = Task(executorPreference: executor) { [self] in
            let response = await server.response(to: request)
            // The task runs on `queue`, its executor preference (where it resumes after any
            // await), so the response is written from here without another trip through it.
            dispatchPrecondition(condition: .onQueue(queue))
            send(response, for: request)
        }
    }

    /// Writes a response's head and body; `request` is nil for parser errors.
    private func send(_ response: HTTPResponse, for request: HTTPRequest?) {
        guard case .responding = phase else { return }
        // A response that leaves once the server drains says so, even if it is written before
        // this connection's `beginDrain` has run on its queue.
        if server.isDraining { closeAfterResponse = true }
        let isHead = request?.method == .head
        let allowsBody = HTTPResponseHead.statusAllowsBody(response.status)
        var head = HTTPResponseHead(
            status: response.status, headers: response.headers, framing: .none, keepAlive: !closeAfterResponse)
        switch response.body {
        case .bytes(let body):
            head.framing = allowsBody ? .contentLength(body.count) : .none
            let sendsBody = allowsBody && !isHead
            var bytes = head.encoded(
                serverName: server.configuration.serverName, date: scratch.date.now(),
                reservingBody: sendsBody ? body.count : 0)
            if sendsBody { bytes += body }
            enqueue(bytes)
            finishResponse()
        case .stream(let produce):
            let chunked = request?.version != .http10
            if !chunked { closeAfterResponse = true }
            head.framing = chunked ? .chunked : .untilClose
            head.keepAlive = !closeAfterResponse
            enqueue(head.encoded(serverName: server.configuration.serverName, date: scratch.date.now()))
            if isHead || !allowsBody { return finishResponse() }
            stream(produce, chunked: chunked)
        }
    }

    private func stream(_ produce: @escaping @Sendable (any HTTPBodyWriter) async throws -> Void, chunked: Bool) {
        let writer = StreamWriter(connection: self, chunked: chunked)
        isStreaming = true
        responseTask = Task { [self] in
            let completed: Bool
            do {
                try await produce(writer)
                completed = true
            } catch {
                completed = false
            }
            queue.async { [self] in
                guard case .responding = phase else { return }
                if completed && chunked {
                    enqueue(Array("0\r\n\r\n".utf8))
                    finishResponse()
                } else {
                    // A stream that failed or was cancelled must not look complete: close without
                    // the last chunk (or, for HTTP/1.0, the close itself ends the body).
                    closeAfterResponse = true
                    finishResponse()
                }
            }
        }
    }

    /// Queues a chunk from a streaming writer; the continuation resumes once the client has taken
    /// enough of the pending output, or throws when the connection is gone.
    fileprivate func writeFromStream(
        _ bytes: [UInt8], chunked: Bool, continuation: CheckedContinuation<Void, any Error>
    ) {
        queue.async { [self] in writeStreamChunk(bytes, chunked: chunked, continuation: continuation) }
    }

    private func writeStreamChunk(_ bytes: [UInt8], chunked: Bool, continuation: CheckedContinuation<Void, any Error>) {
        guard case .responding = phase, !peerClosed else {
            continuation.resume(throwing: CancellationError())
            return
        }
        if bytes.isEmpty { return continuation.resume() }
        if chunked {
            enqueue(Array("\(String(bytes.count, radix: 16))\r\n".utf8) + bytes + [13, 10])
        } else {
            enqueue(bytes)
        }
        if case .closed = phase { return continuation.resume(throwing: CancellationError()) }
        if pendingOutput > Self.outputHighWater {
            streamWaiters.append(continuation)
        } else {
            continuation.resume()
        }
    }

    private func finishResponse() {
        responseTask = nil
        isStreaming = false
        let now = ContinuousClock.now
        idleSince = now
        requestStartedAt = now
        lastReadAt = now
        guard case .responding = phase else { return }
        if closeAfterResponse {
            if pendingOutput == 0 { linger() }
            return
        }
        phase = .reading
        resumeReading()
        processInput()
    }

    // MARK: Writing

    private var pendingOutput: Int { outbound.count - outboundOffset }

    private func enqueue(_ bytes: [UInt8]) {
        if pendingOutput == 0 {
            lastWriteProgressAt = .now
            outbound = bytes
            outboundOffset = 0
        } else {
            outbound += bytes
        }
        flush()
    }

    private func flush() {
        while pendingOutput > 0 {
            let result = outbound.withUnsafeBytes {
                Socket.write(fd, UnsafeRawBufferPointer(rebasing: $0[outboundOffset...]))
            }
            switch result {
            case .transferred(let count):
                outboundOffset += count
                lastWriteProgressAt = .now
            case .wouldBlock:
                armWrite()
                return
            case .closed:
                peerClosed = true
                close()
                return
            case .failed(let error):
                fail(error)
                return
            }
        }
        outbound = []
        outboundOffset = 0
        disarmWrite()
        resumeStreamWriters()
        if closeAfterResponse, case .responding = phase, responseTask == nil { linger() }
    }

    private func resumeStreamWriters() {
        guard pendingOutput <= Self.outputLowWater, !streamWaiters.isEmpty else { return }
        let waiters = streamWaiters
        streamWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Sources

    private func pauseReading() {
        guard !readPaused, let readSource else { return }
        readSource.suspend()
        readPaused = true
    }

    private func resumeReading() {
        guard readPaused, let readSource else { return }
        readSource.resume()
        readPaused = false
    }

    private func armWrite() {
        guard !writeArmed, let writeSource else { return }
        writeSource.resume()
        writeArmed = true
    }

    private func disarmWrite() {
        guard writeArmed, let writeSource else { return }
        writeSource.suspend()
        writeArmed = false
    }

    // MARK: Closing

    /// Shuts down our sending side and discards input for a moment, so the peer reads the last
    /// response instead of a reset.
    private func linger() {
        guard case .responding = phase else { return }
        if peerClosed { return close() }
        shutdown(fd, Int32(SHUT_WR))
        phase = .lingering(until: .now + Self.lingerTime)
        resumeReading()
    }

    /// Releases the socket and everything waiting on it. Idempotent.
    private func close() {
        if case .closed = phase { return }
        phase = .closed
        responseTask?.cancel()
        responseTask = nil
        let waiters = streamWaiters
        streamWaiters = []
        for waiter in waiters { waiter.resume(throwing: CancellationError()) }
        outbound = []
        outboundOffset = 0
        // A suspended source must be resumed before it is cancelled.
        resumeReading()
        armWrite()
        readSource?.cancel()
        writeSource?.cancel()
        readSource = nil
        writeSource = nil
    }

    /// A read or write failed for a reason other than the peer (e.g. ENOBUFS): report it, close.
    private func fail(_ error: HTTPServerError) {
        server.onError(error, nil)
        close()
    }

    private func sourceCancelled() {
        openSources -= 1
        guard openSources == 0 else { return }
        Socket.close(fd)
        server.connectionClosed(self)
    }

    /// Server shutdown: idle connections close now, busy ones after their response; streams end.
    func beginDrain() {
        queue.async { [self] in
            draining = true
            closeAfterResponse = true
            switch phase {
            case .reading:
                if !parser.isMidRequest { close() }
            case .responding:
                if isStreaming { responseTask?.cancel() }
            case .lingering, .closed:
                break
            }
        }
    }

    /// The end of the grace period: close whatever state the connection is in.
    func forceClose() {
        queue.async { [self] in close() }
    }

    /// Applies the header, body (between reads, and for the whole body), idle, write and linger timeouts.
    func checkTimeouts(now: ContinuousClock.Instant) {
        queue.async { [self] in
            let configuration = server.configuration
            if pendingOutput > 0, now - lastWriteProgressAt > configuration.writeTimeout { return close() }
            switch phase {
            case .lingering(let until):
                if now > until { close() }
            case .reading:
                if parser.isReadingBody,
                    now - lastReadAt > configuration.bodyTimeout
                        || bodyStartedAt.map({ now - $0 > configuration.bodyDeadline }) == true
                {
                    timeOut("The request body did not arrive in time.")
                } else if parser.isMidRequest, !parser.isReadingBody,
                    now - requestStartedAt > configuration.headerTimeout
                {
                    timeOut("The request head did not arrive in time.")
                } else if !parser.isMidRequest, pendingOutput == 0, now - idleSince > configuration.idleTimeout {
                    close()
                }
            case .responding, .closed:
                break
            }
        }
    }

    private func timeOut(_ message: String) {
        closeAfterResponse = true
        pauseReading()
        phase = .responding
        send(HTTPError(.requestTimeout, code: "request_timeout", message: message).response, for: nil)
    }
}

/// The `HTTPBodyWriter` handed to streaming responses: frames chunks and waits for the client.
private struct StreamWriter: HTTPBodyWriter {
    let connection: HTTPConnection
    let chunked: Bool

    func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.writeFromStream(bytes, chunked: chunked, continuation: continuation)
        }
    }
}

/// What the connections of one queue share: the queue is serial, so they read into one buffer
/// one at a time (a read allocates nothing) and take the `Date` value from one cache without a lock.
// @unchecked Sendable: used only on the queue it belongs to.
final class QueueScratch: @unchecked Sendable {
    let readBytes: UnsafeMutableRawBufferPointer
    var date = HTTPDate.Cache()

    init(readByteCount: Int) { readBytes = .allocate(byteCount: readByteCount, alignment: 1) }

    deinit { readBytes.deallocate() }
}
