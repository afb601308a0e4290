import Glibc

/// The socket system calls whose failures `SocketCall.outcome(ofErrno:)` classifies.
package enum SocketCall: String, Sendable {
    case accept, read, write, close

    /// What `code`, the `errno` of a failed call, means: one table for every socket call, so
    /// that no caller turns a bug of ours into "the peer went away".
    package func outcome(ofErrno code: Int32) -> ErrnoOutcome {
        if self == .close {
            // Linux releases the descriptor even when close fails (EINTR included): never retry.
            return code == EBADF ? .ourBug : .failed
        }
        switch code {
        case EINTR: return .retry
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        // A descriptor, buffer or argument we passed is wrong: a descriptor closed twice or used
        // after close (it may already belong to another connection), a bad pointer or length.
        case EBADF, EFAULT, EINVAL, ENOTSOCK: return .ourBug
        default: break
        }
        switch self {
        case .accept:
            switch code {
            // The pending connection failed before accept handed it over (Linux passes its
            // network errors on, see accept(2)): take the next one.
            case ECONNABORTED, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH,
                ENETDOWN, EPERM:
                return .peerGone
            default: return .failed  // EMFILE, ENFILE, ENOBUFS, ENOMEM
            }
        case .read, .write:
            switch code {
            case ECONNRESET, EPIPE, ETIMEDOUT, ENOTCONN, EHOSTUNREACH, ENETUNREACH, ENETDOWN: return .peerGone
            // send(2) with flags or an address a connected TCP socket cannot take: our call is wrong.
            case EOPNOTSUPP, EDESTADDRREQ, EISCONN, EISDIR: return .ourBug
            default: return .failed  // ENOBUFS, ENOMEM, EIO
            }
        case .close:
            return .failed
        }
    }
}

/// What a failed socket call's `errno` means (`SocketCall.outcome(ofErrno:)`).
package enum ErrnoOutcome: Sendable, Equatable {
    /// EINTR: interrupted before anything happened; make the same call again.
    case retry
    /// EAGAIN/EWOULDBLOCK: nothing to do now; wait until the descriptor is ready.
    case wouldBlock
    /// The connection is gone (reset, broken pipe, timed out, unreachable); for accept, the
    /// pending connection failed before it was handed over. Not an error of the server.
    case peerGone
    /// Only a bug in this module produces it: the process stops with a message naming the call
    /// and the errno, as SwiftNIO does, instead of reading or writing a descriptor it may no
    /// longer own.
    case ourBug
    /// Anything else (out of memory, descriptors or buffers; I/O errors): reported as an
    /// `HTTPServerError` with the errno.
    case failed
}

/// Thin wrappers over the socket system calls. Each failure goes through
/// `SocketCall.outcome(ofErrno:)`: EINTR is retried, EAGAIN is `nil` or `.wouldBlock`, a peer that
/// went away is `.closed`, an errno only our bug can cause stops the process, and the rest becomes
/// an `HTTPServerError` carrying `errno`.
package enum Socket {
    /// What a non-blocking read or write did.
    package enum IOResult: Equatable, Sendable {
        case transferred(Int)
        case wouldBlock
        /// End of stream, or the peer went away (reset, broken pipe, timed out).
        case closed
        /// Failed for a reason other than the peer (e.g. ENOBUFS): close the connection and report.
        case failed(HTTPServerError)
    }

    /// A failed call, classified: what it means and its errno (never `.retry` or `.ourBug`).
    private struct Failure: Error {
        var outcome: ErrnoOutcome
        var errno: Int32
    }

    /// Makes `body` (a system call returning -1 and setting `errno` on failure) until it is not
    /// interrupted, and classifies its failure. Stops the process on an errno that only our bug
    /// can cause.
    @inline(__always)
    private static func perform<T: FixedWidthInteger>(
        _ call: SocketCall, on fd: Int32, _ body: () -> T
    ) -> Result<T, Failure> {
        while true {
            let result = body()
            if result >= 0 { return .success(result) }
            let code = errno
            let outcome = call.outcome(ofErrno: code)
            switch outcome {
            case .retry: continue
            case .ourBug:
                preconditionFailure(
                    "unacceptable errno \(code) (\(String(cString: strerror(code)))) from \(call.rawValue) on descriptor \(fd): a bug in HTTPServer"
                )
            case .wouldBlock, .peerGone, .failed: return .failure(Failure(outcome: outcome, errno: code))
            }
        }
    }

    /// Opens a non-blocking listening socket bound to a numeric host and port.
    static func listen(host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw HTTPServerError(
                code: "invalid_listen_address", message: "\(host) is not a numeric IPv4 or IPv6 address.")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .systemCall("socket", code: "socket_failed", errno: errno) }
        do throws(HTTPServerError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if info.pointee.ai_family == AF_INET6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                throw HTTPServerError.systemCall("bind to \(host):\(port)", code: "bind_failed", errno: errno)
            }
            guard Glibc.listen(fd, backlog) == 0 else {
                throw HTTPServerError.systemCall("listen", code: "listen_failed", errno: errno)
            }
            try setNonBlocking(fd)
            return (fd, try localPort(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    /// Accepts one pending connection: its descriptor and peer address, or nil when none is pending.
    /// Connections that failed before they were handed over are skipped.
    static func accept(_ listener: Int32) throws(HTTPServerError) -> (fd: Int32, peer: String)? {
        var storage = sockaddr_storage()
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let accepted = perform(.accept, on: listener) {
                withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listener, $0, &length) }
                }
            }
            switch accepted {
            case .success(let fd):
                do throws(HTTPServerError) {
                    try setNonBlocking(fd)
                    try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                } catch {
                    close(fd)
                    throw error
                }
                return (fd, address(of: &storage))
            case .failure(let failure):
                switch failure.outcome {
                case .peerGone: continue
                case .wouldBlock: return nil
                default: throw .systemCall("accept", code: "accept_failed", errno: failure.errno)
                }
            }
        }
    }

    /// Reads into `buffer`; `.closed` on end of stream or when the peer went away.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        switch perform(.read, on: fd, { Glibc.read(fd, buffer.baseAddress, buffer.count) }) {
        case .success(0): return .closed
        case .success(let count): return .transferred(count)
        case .failure(let failure): return ioResult(failure, "read", code: "read_failed")
        }
    }

    /// Writes without raising SIGPIPE; `.closed` when the peer went away.
    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        switch perform(.write, on: fd, { send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }) {
        case .success(let count): return .transferred(count)
        case .failure(let failure): return ioResult(failure, "send", code: "write_failed")
        }
    }

    /// Closes a descriptor; stops the process when it was not open (closed twice: a bug of ours).
    /// Other failures are ignored: Linux releases the descriptor anyway.
    package static func close(_ fd: Int32) {
        _ = perform(.close, on: fd) { Glibc.close(fd) }
    }

    private static func ioResult(_ failure: Failure, _ name: String, code: String) -> IOResult {
        switch failure.outcome {
        case .wouldBlock: .wouldBlock
        case .peerGone: .closed
        default: .failed(.systemCall(name, code: code, errno: failure.errno))
        }
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(HTTPServerError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .systemCall("setsockopt", code: "socket_option_failed", errno: errno)
        }
    }

    private static func setNonBlocking(_ fd: Int32) throws(HTTPServerError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .systemCall("fcntl", code: "socket_option_failed", errno: errno)
        }
    }

    private static func localPort(_ fd: Int32) throws(HTTPServerError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { throw .systemCall("getsockname", code: "socket_failed", errno: errno) }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// The numeric host of a socket address, e.g. `127.0.0.1` or `::1`.
    private static func address(of storage: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard status == 0 else { return "" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
