import Foundation

/// A small HTTP/1.1 client for live tests: one request per connection, the response parsed into
/// status, headers and body. Runs on `RawHTTPClient`, so it works on loopback only.
public struct HTTPTestClient: Sendable {
    /// A parsed response.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The body parsed as a JSON object, or nil.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    public let port: Int
    /// The loopback address requests come from (nil: the system's choice, 127.0.0.1).
    public let source: String?

    public init(port: Int, source: String? = nil) {
        self.port = port
        self.source = source
    }

    /// Sends one request with `Connection: close` and returns the parsed response.
    public func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> Response {
        let client = try RawHTTPClient(port: port, source: source)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        try client.send(head + "\r\n" + (body ?? ""))
        return try Self.parse(await client.readToEnd())
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
