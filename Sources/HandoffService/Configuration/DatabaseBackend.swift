import Foundation

/// Where the data lives, as the `database` setting names it: a SQLite file (the embedded default,
/// one node) or a PostgreSQL database that any number of nodes share.
public enum DatabaseBackend: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    /// A libpq connection URI, `postgresql://` or `postgres://`; its options (sslmode,
    /// sslrootcert, connect_timeout...) go to libpq as they are.
    case postgres(uri: String)

    public init(_ setting: String) {
        // libpq knows these two schemes, in lower case only.
        let isURI = ["postgresql://", "postgres://"].contains { setting.hasPrefix($0) }
        self = isURI ? .postgres(uri: setting) : .sqlite(path: setting)
    }

    /// The folder of this backend's migrations inside the configured migrations folder: the
    /// SQLite files themselves, PostgreSQL's twins in `postgres/` (same numbers, same meaning).
    public func migrations(in directory: String) -> String {
        switch self {
        case .sqlite: directory
        case .postgres: (directory.hasSuffix("/") ? directory : directory + "/") + "postgres"
        }
    }

    /// For display and logs: a URI's password is masked, in the user part and as an option.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let uri):
            var text = uri
            if let scheme = text.range(of: "://"),
                let at = text[scheme.upperBound...].firstIndex(of: "@"),
                let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
            {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
            return text.replacing(/([?&]password=)[^&]*/) { "\($0.output.1)***" }
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }
}

extension Configuration {
    /// The `database` setting read as a backend.
    public var databaseBackend: DatabaseBackend { DatabaseBackend(databasePath) }

    /// `<hostname>-<pid>`: unique among nodes on different hosts, and among processes on one.
    public static let defaultNodeID: String = {
        var name = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "node"
        return "\(host)-\(ProcessInfo.processInfo.processIdentifier)"
    }()
}
