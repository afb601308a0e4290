import HTTPServer
import HTTPValues
import Synchronization
import TestSupport
import Testing

/// The Messages API stand-in: records every text as it arrives (what reaches Twilio reaches the
/// phone, even when its sender dies before the answer), then answers after its latency.
final class FakeTwilio: Sendable {
    /// One accepted text: its recipient and body.
    struct Text: Sendable {
        let to: String
        let body: String
    }

    /// Texts received, in the order they arrived.
    final class Received: Sendable {
        let texts = Mutex<[Text]>([])
    }

    /// How long each text takes to be accepted from now on.
    final class Latency: Sendable {
        let duration: Mutex<Duration>
        init(_ duration: Duration) { self.duration = Mutex(duration) }
    }

    let received = Received()
    let latency: Latency
    let server: HTTPServer

    /// Each text takes `latency` to be accepted (until `latency.duration` is set).
    init(latency: Duration = .milliseconds(5)) {
        let received = received
        let accepting = Latency(latency)
        self.latency = accepting
        var router = Router()
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request in
            let form = try URLEncodedForm(decoding: request.body)
            received.texts.withLock { $0.append(Text(to: form["To"] ?? "", body: form["Body"] ?? "")) }
            try await Task.sleep(for: accepting.duration.withLock { $0 })
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

    /// The code of the first verification text to `phone`, once it arrived (empty after 10 s
    /// without one: a daemon on a loaded machine took more than the 2 s this waited before).
    func verificationCode(to phone: String) async throws -> String {
        var code = ""
        _ = try await eventually(seconds: 10) {
            code =
                bodies(to: phone).first { $0.contains("code is") }.flatMap {
                    $0.split(separator: " ").first { $0.count == 7 && $0.hasSuffix(".") }.map { String($0.dropLast()) }
                } ?? ""
            return !code.isEmpty
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
