import HTTPServer
import HTTPValues
import Synchronization

/// The Messages API stand-in: records every accepted text.
final class FakeTwilio: Sendable {
    /// Bodies received, in order.
    final class Received: Sendable {
        let bodies = Mutex<[String]>([])
    }

    let received = Received()
    let server: HTTPServer

    /// Each text takes `latency` to be accepted.
    init(latency: Duration = .milliseconds(5)) {
        let received = received
        var router = Router()
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request in
            let form = try URLEncodedForm(decoding: request.body)
            try await Task.sleep(for: latency)
            received.bodies.withLock { $0.append(form["Body"] ?? "") }
            let sid = "SM" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return HTTPResponse(
                status: .created, contentType: "application/json",
                body: Array(#"{"sid":"\#(sid)","status":"queued","num_segments":"1"}"#.utf8))
        }
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
    }

    func count(_ body: String) -> Int { received.bodies.withLock { $0.filter { $0 == body }.count } }
    var all: [String] { received.bodies.withLock { $0 } }

    /// The code of the first verification text received, once it arrived (empty after 2 s without one).
    func verificationCode() async throws -> String {
        var code = ""
        for _ in 0..<200 where code.isEmpty {
            code =
                all.first { $0.contains("code is") }.flatMap {
                    $0.split(separator: " ").first { $0.count == 7 && $0.hasSuffix(".") }.map { String($0.dropLast()) }
                } ?? ""
            try await Task.sleep(for: .milliseconds(10))
        }
        return code
    }
}
