import Glibc
import HTTPServer
import Testing

/// The one table that says what a failed socket call's errno means.
@Suite struct SocketErrnoTests {
    static let transferCalls: [SocketCall] = [.read, .write]

    @Test(arguments: [SocketCall.accept, .read, .write])
    func interruptedCallsAreRetriedAndEAGAINWaits(call: SocketCall) {
        #expect(call.outcome(ofErrno: EINTR) == .retry)
        #expect(call.outcome(ofErrno: EAGAIN) == .wouldBlock)
        #expect(call.outcome(ofErrno: EWOULDBLOCK) == .wouldBlock)
    }

    @Test(arguments: [SocketCall.accept, .read, .write], [EBADF, EFAULT, EINVAL, ENOTSOCK])
    func errnosOnlyOurBugCausesAreBugs(call: SocketCall, code: Int32) {
        #expect(call.outcome(ofErrno: code) == .ourBug)
    }

    @Test(arguments: transferCalls, [ECONNRESET, EPIPE, ETIMEDOUT, ENOTCONN, EHOSTUNREACH, ENETUNREACH])
    func aPeerThatWentAwayClosesTheConnection(call: SocketCall, code: Int32) {
        #expect(call.outcome(ofErrno: code) == .peerGone)
    }

    @Test func sendWithArgumentsATCPSocketCannotTakeIsABug() {
        for code in [EOPNOTSUPP, EDESTADDRREQ, EISCONN] { #expect(SocketCall.write.outcome(ofErrno: code) == .ourBug) }
    }

    @Test(arguments: [ECONNABORTED, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH])
    func acceptSkipsConnectionsThatFailedBeforeTheyWereHandedOver(code: Int32) {
        #expect(SocketCall.accept.outcome(ofErrno: code) == .peerGone)
    }

    @Test(arguments: [EMFILE, ENFILE, ENOBUFS, ENOMEM])
    func acceptOutOfResourcesIsAFailure(code: Int32) {
        #expect(SocketCall.accept.outcome(ofErrno: code) == .failed)
    }

    @Test(arguments: transferCalls, [ENOBUFS, ENOMEM, EIO])
    func otherTransferFailuresAreReported(call: SocketCall, code: Int32) {
        #expect(call.outcome(ofErrno: code) == .failed)
    }

    @Test func closeNeverRetriesAndADoubleCloseIsABug() {
        #expect(SocketCall.close.outcome(ofErrno: EBADF) == .ourBug)
        #expect(SocketCall.close.outcome(ofErrno: EINTR) == .failed)
        #expect(SocketCall.close.outcome(ofErrno: EIO) == .failed)
    }

    // MARK: The wrappers on real descriptors

    @Test func aResetPeerReadsAsClosedNotAsAnError() throws {
        let (ours, theirs) = try Self.tcpPair()
        defer { Socket.close(ours) }
        // SO_LINGER 0: closing sends a reset, so our read fails with ECONNRESET.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(theirs, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Socket.close(theirs)
        var result = Socket.IOResult.wouldBlock
        for _ in 0..<200 where result == .wouldBlock {
            result = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { Socket.read(ours, into: $0) }
            if result == .wouldBlock { usleep(5_000) }
        }
        #expect(result == .closed)
    }

    @Test func endOfStreamIsClosed() throws {
        let (ours, theirs) = try Self.socketPair()
        defer { Socket.close(ours) }
        Socket.close(theirs)
        let result = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { Socket.read(ours, into: $0) }
        #expect(result == .closed)
    }

    @Test func writingToAClosedPeerIsClosedWithoutSIGPIPE() throws {
        let (ours, theirs) = try Self.socketPair()
        defer { Socket.close(ours) }
        Socket.close(theirs)
        let result = Array("hello".utf8).withUnsafeBytes { Socket.write(ours, $0) }
        #expect(result == .closed)
    }

    @Test func anEmptyNonBlockingSocketWouldBlock() throws {
        let (ours, theirs) = try Self.socketPair()
        defer {
            Socket.close(ours)
            Socket.close(theirs)
        }
        let result = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { Socket.read(ours, into: $0) }
        #expect(result == .wouldBlock)
    }

    @Test func readingADescriptorThatIsNotOpenStopsTheProcessNamingTheCallAndErrno() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { Socket.read(-1, into: $0) }
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("unacceptable errno \(EBADF)"), "\(message)")
        #expect(message.contains("from read on descriptor -1"), "\(message)")
    }

    @Test func closingADescriptorTwiceStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var fds: [Int32] = [0, 0]
            _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
            Socket.close(fds[0])
            Socket.close(fds[0])
        }
    }

    /// Two ends of a loopback TCP connection, ours non-blocking.
    private static func tcpPair() throws -> (Int32, Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { Socket.close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(bound)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(client >= 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
        }
        try #require(connected)
        let server = accept(listener, nil, nil)
        try #require(server >= 0)
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
        return (server, client)
    }

    private static func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        let status = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        try #require(status == 0)
        return (fds[0], fds[1])
    }
}
