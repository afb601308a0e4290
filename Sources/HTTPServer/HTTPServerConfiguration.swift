/// How an `HTTPServer` listens, what it accepts and how long it waits.
public struct HTTPServerConfiguration: Sendable {
    /// Numeric host to bind, IPv4 (`127.0.0.1`, `0.0.0.0`) or IPv6 (`::1`, `::`).
    public var host: String
    /// Port to bind; 0 picks a free one (see `HTTPServer.port`).
    public var port: Int
    /// Pending connections the kernel may queue before `accept`.
    public var backlog: Int32
    /// Open connections at most; past it a connection gets 503 with Retry-After and is closed.
    public var maxConnections: Int
    /// Open connections from one peer address (the socket's, not a forwarded one) at most; past it
    /// a connection gets 429 with Retry-After and is closed. `Int.max` leaves it uncapped.
    public var maxConnectionsPerAddress: Int
    /// Whether the per-address cap spares a peer (a reverse proxy carries many clients); given the
    /// address as `HTTPRequest.remoteAddress` shows it (`127.0.0.1`, `::1`). None by default.
    public var isExemptPeer: @Sendable (String) -> Bool
    public var parserLimits: HTTPParserLimits
    /// Time allowed for a whole request head once its first byte arrived (slowloris defence).
    public var headerTimeout: Duration
    /// Time allowed between two reads of a request body.
    public var bodyTimeout: Duration
    /// Time allowed for a whole request body once its head arrived, however steadily it trickles.
    public var bodyDeadline: Duration
    /// Time an idle keep-alive connection stays open.
    public var idleTimeout: Duration
    /// Time a response may wait for a client that does not read before the connection is dropped.
    public var writeTimeout: Duration
    /// The `Server` header value.
    public var serverName: String
    /// How long in-flight requests may take to finish once the server runs as a `Service` and
    /// its shutdown fired; then what is left is closed.
    public var drainTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        backlog: Int32 = 1024,
        maxConnections: Int = 10_000,
        maxConnectionsPerAddress: Int = .max,
        isExemptPeer: @escaping @Sendable (String) -> Bool = { _ in false },
        parserLimits: HTTPParserLimits = HTTPParserLimits(),
        headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30),
        bodyDeadline: Duration = .seconds(60),
        idleTimeout: Duration = .seconds(75),
        writeTimeout: Duration = .seconds(30),
        serverName: String = "handoff",
        drainTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.isExemptPeer = isExemptPeer
        self.parserLimits = parserLimits
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.bodyDeadline = bodyDeadline
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.serverName = serverName
        self.drainTimeout = drainTimeout
    }
}
