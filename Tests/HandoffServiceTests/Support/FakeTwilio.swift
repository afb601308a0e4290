import HTTPServer
import HTTPValues
import Synchronization
import TestSupport
import Testing

/// The Messages API stand-in: records every accepted text.
final class FakeTwilio: Sendable {
    /// One accepted text: its recipient and body.
    struct Text: Sendable {
        let to: String
        let body: String
    }

    /// Texts received, in order.
    final class Received: Sendable {
        let texts = Mutex<[Text]>([])
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
            received.texts.withLock { $0.append(Text(to: form["To"] ?? "", body: form["Body"] ?? "")) }
            let sid = "SM" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return HTTPResponse(
                status: .created, contentType: "application/json",
                body: Array(#"{"sid":"\#(sid)","status":"queued","num_segments":"1"}"#.utf8))
        }
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
    }

    func count(_ body: String) -> Int { received.texts.withLock { $0.filter { $0.body == body }.count } }
    /// The bodies received, in order.
    var all: [String] { received.texts.withLock { $0.map(\.body) } }
    /// The bodies texted to `phone`, in order.
    func bodies(to phone: String) -> [String] { received.texts.withLock { $0.filter { $0.to == phone }.map(\.body) } }

    /// The code of the first verification text to `phone`, once it arrived (empty after 2 s
    /// without one).
    func verificationCode(to phone: String) async throws -> String {
        var code = ""
        for _ in 0..<200 where code.isEmpty {
            code =
                bodies(to: phone).first { $0.contains("code is") }.flatMap {
                    $0.split(separator: " ").first { $0.count == 7 && $0.hasSuffix(".") }.map { String($0.dropLast()) }
                } ?? ""
            try await Task.sleep(for: .milliseconds(10))
        }
        return code
    }
}

extension FakeTwilio {
    /// Starts a web conversation on `client` whose visitor verifies `phone` (the code read from
    /// what this stand-in received): agents' replies to it are texted. Returns its id.
    func verifiedConversation(on client: HTTPTestClient, phone: String) async throws -> String {
        let (cookie, session) = try await API.startSession(client)
        let conversationID = try #require(session["conversation_id"] as? String)
        _ = try await client.request(
            "POST", "/v1/handoff", headers: API.json(cookie), body: #"{"phone":"\#(phone)","consent":true}"#)
        let code = try await verificationCode(to: phone)
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
        try #require(verified.status == 200)
        return conversationID
    }
}
