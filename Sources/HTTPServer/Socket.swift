import Glibc

/// Thin wrappers over the socket system calls: each retries on EINTR, reports EAGAIN as `nil`
/// or `.wouldBlock`, and turns every other failure into an `HTTPServerError` carrying `errno`.
enum Socket {
    /// What a non-blocking read or write did.
    enum IOResult: Equatable {
        case transferred(Int)
        case wouldBlock
        case closed
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
    static func accept(_ listener: Int32) throws(HTTPServerError) -> (fd: Int32, peer: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(listener, $0, &length)
                }
            }
            if fd >= 0 {
                do throws(HTTPServerError) {
                    try setNonBlocking(fd)
                    try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                } catch {
                    close(fd)
                    throw error
                }
                return (fd, address(of: &storage))
            }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw .systemCall("accept", code: "accept_failed", errno: errno)
            }
        }
    }

    /// Reads into `buffer`; `.closed` on end of stream or on a reset connection.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .transferred(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// Writes without raising SIGPIPE; `.closed` when the peer is gone.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
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
