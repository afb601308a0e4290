import Glibc

/// A failure of the server itself (binding, accepting), as opposed to a bad request.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable snake_case code, e.g. `bind_failed`, `invalid_listen_address`.
    public var code: String
    public var message: String
    /// The `errno` of the failed system call, when there was one.
    public var errno: Int32?

    public init(code: String, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// An error for a failed system call, with the text of `errno`.
    static func systemCall(_ name: String, code: String, errno: Int32) -> HTTPServerError {
        HTTPServerError(code: code, message: "\(name) failed: \(String(cString: strerror(errno)))", errno: errno)
    }

    public var description: String { "\(code): \(message)" }
}
