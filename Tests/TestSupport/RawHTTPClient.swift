import Foundation

/// A TCP client for live-server tests that need to see the exact bytes on the wire: pipelining,
/// partial requests, framing. Loopback only (or one end of a socket pair). Its blocking reads run on a Dispatch thread, never
/// on Swift's cooperative pool, which the server's handlers need.
// @unchecked Sendable: a test uses one client from one task at a time.
public final class RawHTTPClient: @unchecked Sendable {
    private let fd: Int32
    /// When bytes last arrived, and when the server's close was seen; taken on the reading thread.
    public private(set) var lastReceivedAt: ContinuousClock.Instant?
    public private(set) var closedAt: ContinuousClock.Instant?

    /// Connects to `127.0.0.1:port` (or `::1` when `ipv6`); throws when the connection is refused.
    /// `source` is another loopback address to connect from (`127.0.0.2`), so a test can be a
    /// second client address.
    public init(port: Int, ipv6: Bool = false, source: String? = nil, receiveTimeout: Double = 5) throws {
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPClientError(message: "socket failed") }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else {
                throw RawHTTPClientError(message: "not an IPv4 address: \(source)")
            }
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw RawHTTPClientError(message: "bind \(source) failed: errno \(errno)") }
        }
        var timeout = timeval(
            tv_sec: Int(receiveTimeout), tv_usec: Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            address.sin6_addr = in6addr_loopback
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard status == 0 else {
            // No close here: a class whose initializer throws after setting every property is
            // deinitialized, and `deinit` closes the socket. Closing it twice could close a
            // descriptor another test (or server) has just been given the same number for.
            throw RawHTTPClientError(message: "connect failed: errno \(errno)")
        }
    }

    /// Takes over `fd`, an already connected stream socket (one end of a `socketpair`), which it
    /// closes when done.
    public init(connected fd: Int32, receiveTimeout: Double = 5) {
        self.fd = fd
        var timeout = timeval(
            tv_sec: Int(receiveTimeout), tv_usec: Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends all of `text`.
    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw RawHTTPClientError(message: "send failed: errno \(errno)") }
            offset += count
        }
    }

    /// Reads until the server closes the connection (or the receive timeout passes).
    public func readToEnd() async -> String {
        await offPool {
            var received: [UInt8] = []
            while let chunk = self.readChunk() { received += chunk }
            return String(decoding: received, as: UTF8.self)
        }
    }

    /// Reads until `marker` has been seen `count` times, the server closes, or the timeout passes.
    public func read(until marker: String, count: Int = 1) async -> String {
        await offPool {
            var received: [UInt8] = []
            while self.occurrences(of: Array(marker.utf8), in: received) < count, let chunk = self.readChunk() {
                received += chunk
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    /// Runs a blocking read on a thread of its own (see `offPool`).
    private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    private func readChunk() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count == 0 { closedAt = .now }
        guard count > 0 else { return nil }
        lastReceivedAt = .now
        return Array(buffer[..<count])
    }

    private func occurrences(of marker: [UInt8], in bytes: [UInt8]) -> Int {
        guard !marker.isEmpty, bytes.count >= marker.count else { return 0 }
        var found = 0
        var index = 0
        while index <= bytes.count - marker.count {
            if bytes[index] == marker[0], Array(bytes[index..<index + marker.count]) == marker {
                found += 1
                index += marker.count
            } else {
                index += 1
            }
        }
        return found
    }
}

/// A failure of the raw test client.
public struct RawHTTPClientError: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
