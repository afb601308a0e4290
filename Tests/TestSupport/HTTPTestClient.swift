import Foundation

/// A small HTTP/1.1 client for tests, over one of two transports: a loopback socket to a live
/// server (one request per connection, the response parsed into status, headers and body; runs on
/// `RawHTTPClient`), or an in-process exchange that hands the request to a responder directly.
public struct HTTPTestClient: Sendable {
    /// A request as the client sends it.
    public struct Request: Sendable {
        public var method: String
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: String?
        /// The address the request comes from (nil: the transport's default, 127.0.0.1).
        public var source: String?
    }

    /// A parsed response.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: String

        public init(status: Int, headers: [(name: String, value: String)], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The body parsed as a JSON object, or nil.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// Answers a request without a socket.
    public typealias Exchange = @Sendable (Request) async throws -> Response

    private enum Transport: Sendable {
        case loopback(port: Int)
        case inProcess(Exchange)
    }

    private let transport: Transport
    /// The loopback address requests come from (nil: the system's choice, 127.0.0.1).
    public let source: String?

    /// A client of the live server on `port`.
    public init(port: Int, source: String? = nil) {
        self.transport = .loopback(port: port)
        self.source = source
    }

    /// A client that hands each request to `exchange`, in process.
    public init(inProcess exchange: @escaping Exchange, source: String? = nil) {
        self.transport = .inProcess(exchange)
        self.source = source
    }

    /// The same server, with requests coming from another address (127.0.0.x on loopback).
    public func from(_ source: String) -> HTTPTestClient {
        switch transport {
        case .loopback(let port): HTTPTestClient(port: port, source: source)
        case .inProcess(let exchange): HTTPTestClient(inProcess: exchange, source: source)
        }
    }

    /// The live server's port, for raw connections and browsers. An in-process client has none:
    /// a test that needs one runs its application in live mode.
    public var port: Int {
        guard case .loopback(let port) = transport else {
            preconditionFailure("an in-process client has no port: run this test's application live")
        }
        return port
    }

    /// Sends one request (with `Connection: close` on a socket) and returns the parsed response.
    public func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> Response {
        switch transport {
        case .inProcess(let exchange):
            return try await exchange(
                Request(
                    method: method, target: target, headers: headers.map { (name: $0.0, value: $0.1) }, body: body,
                    source: source))
        case .loopback(let port):
            let client = try RawHTTPClient(port: port, source: source)
            var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
            try client.send(head + "\r\n" + (body ?? ""))
            return try Self.parse(await client.readToEnd())
        }
    }

    /// Parses one complete Content-Length (or body-less) response.
    public static func parse(_ raw: String) throws -> Response {
        guard let split = raw.range(of: "\r\n\r\n") else {
            throw RawHTTPClientError(message: "incomplete response: \(raw.prefix(200))")
        }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw RawHTTPClientError(message: "bad status line: \(lines[0])")
        }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: String(raw[split.upperBound...]))
    }
}
