internal import CCurl
import Foundation
import Synchronization

/// An HTTP client on libcurl's multi interface, driven by one thread of its own.
///
/// Many transfers run at once on that thread; connections are kept alive and reused through the
/// multi handle's pool; TLS peers are verified; proxy settings come from the environment
/// (`https_proxy`, `no_proxy`), as libcurl reads them. `send` suspends the caller until the
/// transfer ends and never blocks Swift's cooperative pool.
public final class HTTPClient: Sendable {
    /// Timeouts and limits.
    public struct Configuration: Sendable {
        public var connectTimeout: Duration
        public var totalTimeout: Duration
        /// Largest response body kept; past it the transfer fails as `invalidResponse`.
        public var maxResponseBytes: Int
        public var userAgent: String

        public init(
            connectTimeout: Duration = .seconds(5), totalTimeout: Duration = .seconds(15),
            maxResponseBytes: Int = 1 << 20, userAgent: String = "handoff"
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxResponseBytes = maxResponseBytes
            self.userAgent = userAgent
        }
    }

    private let configuration: Configuration
    private let engine: CurlEngine

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        engine = CurlEngine()
    }

    /// Performs `request` and returns the response, whatever its status; throws only for
    /// transport failures (timeout, connect, TLS, protocol) and when the calling task is
    /// cancelled (the transfer is aborted at once: `.cancelled`).
    public func send(_ request: HTTPClientRequest) async throws(GatewayError) -> HTTPClientResponse {
        if Task.isCancelled { throw .cancelled }
        let transfer = Transfer(request: request, configuration: configuration)
        let result: Result<HTTPClientResponse, GatewayError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                engine.submit(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
        return try result.get()
    }

    /// Stops the transfer thread after failing what is still in flight.
    public func shutdown() { engine.stop() }

    deinit { engine.stop() }
}

/// One request in flight: its easy handle, what it sends and what it has received.
// @unchecked Sendable: created by the caller, then touched only on the engine thread until the
// continuation is resumed, exactly once; `isCancelled` is atomic.
final class Transfer: @unchecked Sendable {
    let request: HTTPClientRequest
    let configuration: HTTPClient.Configuration
    /// Set by the caller's cancellation handler; the engine does not start a cancelled transfer.
    let isCancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<Result<HTTPClientResponse, GatewayError>, Never>?
    var handle: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var responseBody: [UInt8] = []
    var responseHeaders: [UInt8] = []
    var overflowed = false

    init(request: HTTPClientRequest, configuration: HTTPClient.Configuration) {
        self.request = request
        self.configuration = configuration
    }

    /// Reports the outcome and frees the header list; the engine keeps the easy handle for reuse.
    func finish(_ result: Result<HTTPClientResponse, GatewayError>) {
        continuation?.resume(returning: result)
        continuation = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        handle = nil
    }
}

/// The multi handle and the thread that drives it.
// @unchecked Sendable: `multi` and `active` are touched only on the engine thread; the pending
// queue and the running flag are behind a Mutex; curl_multi_wakeup is thread-safe.
private final class CurlEngine: @unchecked Sendable {
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private let multi: UnsafeMutableRawPointer
    private struct Pending {
        var transfers: [Transfer] = []
        /// Transfers whose tasks were cancelled, to abort if they are in flight.
        var cancelled: [Transfer] = []
        var running = true
        var threadStarted = false
        /// The engine is (about to be) blocked in curl_multi_poll: a submission must wake it.
        var sleeping = false
    }

    private let pending = Mutex(Pending())
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    /// Finished easy handles, reset and ready for the next transfer (cheaper than a new one).
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private static let maxIdleHandles = 64

    init() {
        _ = Self.globalInit
        multi = curl_multi_init()
        handoff_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32)
    }

    deinit { curl_multi_cleanup(multi) }

    func submit(_ transfer: Transfer) {
        let (accepted, startThread, wake) = pending.withLock { state -> (Bool, Bool, Bool) in
            guard state.running else { return (false, false, false) }
            state.transfers.append(transfer)
            defer { state.threadStarted = true }
            return (true, !state.threadStarted, state.sleeping)
        }
        guard accepted else {
            return transfer.finish(
                .failure(GatewayError(.transport, code: "client_stopped", message: "The HTTP client is stopped.")))
        }
        if startThread {
            let thread = Thread { [self] in run() }
            thread.name = "handoff.curl"
            thread.start()
        } else if wake {
            // Only a sleeping engine needs the eventfd write; a busy one picks the transfer up
            // on its next turn.
            curl_multi_wakeup(multi)
        }
    }

    /// Aborts `transfer` on the engine thread (from any thread; it finishes as `.cancelled`).
    func cancel(_ transfer: Transfer) {
        transfer.isCancelled.store(true, ordering: .releasing)
        let wake = pending.withLock { state -> Bool in
            guard state.running else { return false }
            state.cancelled.append(transfer)
            return state.sleeping
        }
        if wake { curl_multi_wakeup(multi) }
    }

    func stop() {
        let wasRunning = pending.withLock { state in
            defer { state.running = false }
            return state.running
        }
        if wasRunning { curl_multi_wakeup(multi) }
    }

    private func run() {
        var stillRunning: Int32 = 0
        while true {
            let (newTransfers, cancelled, running) = pending.withLock { state in
                defer {
                    state.transfers = []
                    state.cancelled = []
                }
                return (state.transfers, state.cancelled, state.running)
            }
            if !running {
                for transfer in newTransfers + Array(active.values) {
                    transfer.finish(
                        .failure(GatewayError(.transport, code: "client_stopped", message: "The HTTP client stopped.")))
                }
                for handle in active.keys {
                    curl_multi_remove_handle(multi, handle)
                    curl_easy_cleanup(handle)
                }
                active = [:]
                for handle in idleHandles { curl_easy_cleanup(handle) }
                idleHandles = []
                return
            }
            for transfer in newTransfers { start(transfer) }
            for transfer in cancelled { abort(transfer) }
            curl_multi_perform(multi, &stillRunning)
            collectFinished()
            let idle = pending.withLock { state -> Bool in
                state.sleeping = state.transfers.isEmpty && state.cancelled.isEmpty && state.running
                return state.sleeping
            }
            curl_multi_poll(multi, nil, 0, idle ? 1000 : 0, nil)
            pending.withLock { $0.sleeping = false }
        }
    }

    private func start(_ transfer: Transfer) {
        if transfer.isCancelled.load(ordering: .acquiring) { return transfer.finish(.failure(.cancelled)) }
        guard let handle = idleHandles.popLast() ?? curl_easy_init() else {
            return transfer.finish(
                .failure(
                    GatewayError(.transport, code: "curl_init_failed", message: "libcurl could not start a transfer.")))
        }
        transfer.handle = handle
        let request = transfer.request
        let configuration = transfer.configuration
        handoff_curl_setopt_string(handle, CURLOPT_URL, request.url)
        handoff_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        handoff_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        handoff_curl_setopt_long(
            handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? configuration.totalTimeout))
        handoff_curl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
        handoff_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        handoff_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        handoff_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        handoff_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        switch request.method {
        case "GET":
            handoff_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD":
            handoff_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default:
            handoff_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if !request.body.isEmpty || request.method == "POST" {
            handoff_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, request.body.count)
            request.body.withUnsafeBytes { bytes in
                let pointer = UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                handoff_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer)
            }
        }
        // "Expect: 100-continue" costs a round trip on every POST; the servers we talk to don't need it.
        var list = curl_slist_append(nil, "Expect:")
        for header in request.headers { list = curl_slist_append(list, "\(header.name): \(header.value)") }
        transfer.headerList = list
        handoff_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        handoff_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody)
        handoff_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        handoff_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        handoff_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        handoff_curl_setopt_pointer(handle, CURLOPT_PRIVATE, context)
        active[handle] = transfer
        curl_multi_add_handle(multi, handle)
    }

    /// Takes a cancelled transfer off the multi handle (closing its connection) and fails it;
    /// a transfer that already finished is left alone.
    private func abort(_ transfer: Transfer) {
        guard let handle = transfer.handle, active.removeValue(forKey: handle) != nil else { return }
        curl_multi_remove_handle(multi, handle)
        recycle(handle)
        transfer.finish(.failure(.cancelled))
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: handle)
            else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, handle)
            var status = 0
            handoff_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            defer { recycle(handle) }
            if transfer.overflowed {
                transfer.finish(
                    .failure(
                        GatewayError(
                            .invalidResponse, code: "response_too_large", message: "The response body is too large.")))
            } else if code == CURLE_OK {
                transfer.finish(
                    .success(
                        HTTPClientResponse(
                            status: status, rawHeaders: transfer.responseHeaders, body: transfer.responseBody)))
            } else {
                transfer.finish(.failure(Self.error(for: code)))
            }
        }
    }

    /// Keeps a finished handle for reuse (reset to defaults), or frees it past the pool's size.
    private func recycle(_ handle: UnsafeMutableRawPointer) {
        if idleHandles.count < Self.maxIdleHandles {
            curl_easy_reset(handle)
            idleHandles.append(handle)
        } else {
            curl_easy_cleanup(handle)
        }
    }

    private static func error(for code: CURLcode) -> GatewayError {
        let text = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return GatewayError(.timeout, code: "timeout", message: "No answer in time: \(text).")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return GatewayError(.connect, code: "connect_failed", message: "Could not connect: \(text).")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return GatewayError(.tls, code: "tls_failed", message: "TLS failed: \(text).")
        default:
            return GatewayError(.transport, code: "transport_failed", message: "Transfer failed: \(text).")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// libcurl's body callback: appends to the transfer, or stops it past the size limit.
private func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if transfer.responseBody.count + length > transfer.configuration.maxResponseBytes {
        transfer.overflowed = true
        return 0
    }
    transfer.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

/// libcurl's header callback: keeps the header lines of the last response (after redirects or 100s).
private func curlWriteHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = UnsafeRawBufferPointer(start: data, count: length)
    if line.starts(with: "HTTP/".utf8) {
        transfer.responseHeaders.removeAll(keepingCapacity: true)
    } else {
        transfer.responseHeaders.append(contentsOf: line)
    }
    return length
}
