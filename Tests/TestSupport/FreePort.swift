import Glibc

/// A loopback TCP port that was free a moment ago, for servers whose public URL must be known
/// before they start (signatures are computed over it).
public func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    return boundLoopbackPort(fd)
}

/// A loopback port that refuses every connection for as long as this value lives: a socket is
/// bound to it but never listens, so no other test's server can take the port meanwhile.
public final class RefusingLoopbackPort: Sendable {
    public let port: Int
    private let fd: Int32

    public init() {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        port = boundLoopbackPort(fd)
    }

    deinit { close(fd) }
}

/// A loopback port that takes connections and never answers: a socket listens on it and never
/// accepts, so connections complete in the kernel's backlog and requests wait forever.
public final class SilentLoopbackPort: Sendable {
    public let port: Int
    private let fd: Int32

    public init() {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        port = boundLoopbackPort(fd)
        listen(fd, 16)
    }

    deinit { close(fd) }
}

/// Binds `fd` to an ephemeral loopback port and returns the port.
private func boundLoopbackPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length)
            return getsockname(fd, pointer, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
