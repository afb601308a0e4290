import Foundation
import HTTPServer
import HTTPValues
import Synchronization
import TestSupport
import Testing

/// `kill -9` in the middle of sending: every acknowledged reply is texted after the restart, none
/// more than twice. The daemon talks to a Twilio stand-in that lives in the test process, so what
/// reached "the gateway" survives the kill.
@Suite struct CrashSafetyTests {
    /// Replies queued before the kill: 100 in `make test`, 1,000 in `make test-faults`
    /// (HANDOFF_FAULT_OUTBOUND).
    static let queued = Int(ProcessInfo.processInfo.environment["HANDOFF_FAULT_OUTBOUND"] ?? "") ?? 100

    /// The Messages API stand-in: records every accepted text.
    final class FakeTwilio: Sendable {
        /// Bodies received, in order.
        final class Received: Sendable {
            let bodies = Mutex<[String]>([])
        }

        let received = Received()
        let server: HTTPServer

        init() {
            let received = received
            var router = Router()
            router.post("/2010-04-01/Accounts/{account}/Messages.json") { request in
                let form = try URLEncodedForm(decoding: request.body)
                try await Task.sleep(for: .milliseconds(5))
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
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs swift build"))
    func killDashNineLosesNoAcknowledgedText() async throws {
        let fake = FakeTwilio()
        try fake.server.start()
        defer { Task { await fake.server.shutdown(gracePeriod: .zero) } }
        let directory = try TemporaryDirectory()
        let (first, client) = try await Daemon.startOnTwilio(twilio: fake.server.port, directory: directory)

        let (cookie, session) = try await API.startSession(client)
        let conversationID = try #require(session["conversation_id"] as? String)
        _ = try await client.request(
            "POST", "/v1/handoff", headers: API.json(cookie),
            body: #"{"phone":"+14155550177","consent":true}"#)
        var code = ""
        for _ in 0..<200 where code.isEmpty {
            code =
                fake.all.first { $0.contains("code is") }.flatMap {
                    $0.split(separator: " ").first { $0.count == 7 && $0.hasSuffix(".") }.map { String($0.dropLast()) }
                } ?? ""
            try await Task.sleep(for: .milliseconds(10))
        }
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: API.json(cookie), body: #"{"code":"\#(code)"}"#)
        try #require(verified.status == 200)

        let auth = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
        var acknowledged: [String] = []
        for index in 0..<(Self.queued + 50) {
            let body = "reply \(index)"
            let response = try await client.request(
                "POST", "/v1/conversations/\(conversationID)/messages", headers: auth,
                body: #"{"body":"\#(body)","author":"agent"}"#)
            if response.status == 201 { acknowledged.append(body) }
            if index == Self.queued { kill(first.processIdentifier, SIGKILL) }
            if index >= Self.queued { break }
        }
        try await offPool { first.waitUntilExit() }
        #expect(first.terminationReason == .uncaughtSignal)
        let sentBeforeRestart = fake.all.filter { $0.hasPrefix("reply ") }.count
        #expect(sentBeforeRestart < acknowledged.count, "the kill interrupted the sending")

        let (second, _) = try await Daemon.startOnTwilio(twilio: fake.server.port, directory: directory)
        defer { second.terminate() }
        for _ in 0..<3000 where !acknowledged.allSatisfy({ fake.count($0) >= 1 }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let counts = acknowledged.map { fake.count($0) }
        #expect(counts.allSatisfy { $0 >= 1 }, "every acknowledged reply was texted")
        #expect(counts.allSatisfy { $0 <= 2 }, "none more than twice")
        print(
            "crash safety: \(acknowledged.count) acknowledged, \(sentBeforeRestart) sent before kill -9, "
                + "\(counts.filter { $0 == 2 }.count) sent twice")
    }
}
