import Foundation
import Gateway
import GatewaySimulator
import HTTPServer
import HTTPValues
import Synchronization
import TestSupport
import Testing

/// `TwilioGateway` through libcurl against the simulator, the same path as production.
@Suite struct TwilioGatewayTests {
    static let account = "AC" + String(repeating: "0", count: 32)
    static let token = "simulator-auth-token"

    /// A simulator, a gateway pointed at it, and a receiver for its callbacks.
    /// Requests a test receiver got.
    final class Recorder: Sendable {
        private let requests = Mutex<[HTTPRequest]>([])
        func append(_ request: HTTPRequest) { requests.withLock { $0.append(request) } }
        var all: [HTTPRequest] { requests.withLock { $0 } }
    }

    static func withSimulator(
        _ body: (GatewaySimulator, TwilioGateway, _ callbacks: Recorder, _ receiverURL: String) async throws -> Void
    ) async throws {
        let callbacks = Recorder()
        var router = Router()
        router.post("/status") { request in
            callbacks.append(request)
            return HTTPResponse()
        }
        router.post("/inbound") { request in
            callbacks.append(request)
            // A text that is TwiML comes back as the answer; anything else gets the empty one.
            let body = (try? URLEncodedForm(decoding: request.body))?["Body"] ?? ""
            let twiml = body.contains("<Response") ? body : "<Response/>"
            return HTTPResponse(contentType: "text/xml", body: Array(twiml.utf8))
        }
        let receiver = HTTPServer(configuration: HTTPServerConfiguration(port: 0), responder: router)
        try receiver.start()
        let client = HTTPClient(configuration: HTTPClient.Configuration(totalTimeout: .seconds(2)))
        let base = "http://127.0.0.1:\(receiver.port)"
        let simulator = GatewaySimulator(
            accountSID: account, authToken: token, inboundWebhookURL: base + "/inbound", client: client)
        try simulator.start()
        let gateway = TwilioGateway(
            accountSID: account, authToken: token, sender: .number("+15005550006"), apiBase: simulator.apiBase,
            client: client)
        do {
            try await body(simulator, gateway, callbacks, base)
        } catch {
            await simulator.shutdown()
            await receiver.shutdown(gracePeriod: .zero)
            throw error
        }
        await simulator.shutdown()
        await receiver.shutdown(gracePeriod: .zero)
        client.shutdown()
    }

    @Test func sendsAndReceivesSignedDeliveryReports() async throws {
        try await Self.withSimulator { simulator, gateway, callbacks, base in
            let receipt = try await gateway.send(
                OutboundSMS(
                    to: "+14155552671", body: String(repeating: "é", count: 200), statusCallbackURL: base + "/status"))
            #expect(receipt.providerMessageID.hasPrefix("SM") && receipt.providerMessageID.count == 34)
            #expect(receipt.segments == 2)
            #expect(simulator.inbox(of: "+14155552671").map(\.body) == [String(repeating: "é", count: 200)])
            for _ in 0..<200 where callbacks.all.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
            let reports = callbacks.all
            #expect(reports.count == 2)
            for request in reports {
                let form = try URLEncodedForm(decoding: request.body)
                #expect(gateway.isAuthentic(url: base + "/status", form: form, headers: request.headers))
                #expect(!gateway.isAuthentic(url: base + "/other", form: form, headers: request.headers))
                let report = try gateway.parseDeliveryReport(form)
                #expect(report.providerMessageID == receipt.providerMessageID)
            }
            let statuses = try reports.map { try gateway.parseDeliveryReport(URLEncodedForm(decoding: $0.body)).status }
            #expect(Set(statuses) == ["sent", "delivered"])
        }
    }

    @Test func classifiesRefusals() async throws {
        try await Self.withSimulator { simulator, gateway, _, _ in
            let sms = OutboundSMS(to: "+14155552671", body: "hi", statusCallbackURL: nil)
            simulator.fail(.serverError)
            let server = await #expect(throws: GatewayError.self) { try await gateway.send(sms) }
            #expect(server?.kind == .httpStatus(500) && server?.isRetryable == true)
            simulator.fail(.rateLimited(retryAfterSeconds: 7))
            let limited = await #expect(throws: GatewayError.self) { try await gateway.send(sms) }
            #expect(
                limited?.kind == .rateLimited && limited?.retryAfter == .seconds(7) && limited?.providerCode == 20429)
            simulator.fail(.optedOut)
            let optedOut = await #expect(throws: GatewayError.self) { try await gateway.send(sms) }
            #expect(optedOut?.kind == .recipientOptedOut && optedOut?.isRetryable == false)
            simulator.fail(.invalidNumber)
            let invalid = await #expect(throws: GatewayError.self) { try await gateway.send(sms) }
            #expect(invalid?.kind == .permanent && invalid?.code == "twilio_21211")
            simulator.fail(.slow(.seconds(5)))
            let slow = await #expect(throws: GatewayError.self) { try await gateway.send(sms) }
            #expect(slow?.kind == .timeout)
            let accepted = try await gateway.send(sms)
            #expect(accepted.status == "queued")
        }
    }

    @Test func deliversSignedInboundTexts() async throws {
        try await Self.withSimulator { simulator, gateway, callbacks, base in
            let answer = try await simulator.reply(from: "+14155552671", to: "+15005550006", body: "STOP please")
            #expect(answer.status == 200)
            let request = try #require(callbacks.all.first)
            let form = try URLEncodedForm(decoding: request.body)
            #expect(gateway.isAuthentic(url: base + "/inbound", form: form, headers: request.headers))
            let inbound = try gateway.parseInbound(form)
            #expect(inbound.from == "+14155552671" && inbound.body == "STOP please" && inbound.segments == 1)
            #expect(simulator.inbox(of: "+14155552671").isEmpty, "an empty TwiML answer texts nothing")
        }
    }

    @Test func deliversTheMessagesOfTheTwiMLAnswer() async throws {
        try await Self.withSimulator { simulator, _, _, _ in
            let phone = "+14155552672"
            let twiml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Response>
                  <Message>You&apos;re out &amp; won&#39;t hear &lt;more&gt; from &quot;us&quot;&#x2e;</Message>
                  <Message to="+14155550000"><Body> Two &amp;amp; </Body><Media>https://x.example/a.jpg</Media></Message>
                  <Message><Media>https://x.example/only-media.jpg</Media></Message>
                  <Message/><MessageLog>not a message</MessageLog>
                  <Message>&unknown; &#xZZ; &</Message>
                </Response>
                """
            let answer = try await simulator.reply(from: phone, to: "+15005550006", body: twiml)
            #expect(answer.status == 200)
            let inbox = simulator.inbox(of: phone)
            #expect(
                inbox.map(\.body) == [#"You're out & won't hear <more> from "us"."#, "Two &amp;", "&unknown; &#xZZ; &"])
            #expect(inbox.allSatisfy { $0.from == "+15005550006" && $0.sid.hasPrefix("SM") })
            #expect(simulator.sentCount == 0, "replies in the answer are not Messages API sends")
            let unclosed = "<Response><Message>never closed</Response>"
            _ = try await simulator.reply(from: phone, to: "+15005550006", body: unclosed)
            #expect(simulator.inbox(of: phone).count == inbox.count)
        }
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with twilio (make test sets it)"))
    func twiliosOwnClientCanSendThroughTheSimulator() async throws {
        try await Self.withSimulator { simulator, _, _, _ in
            let apiBase = simulator.apiBase
            let output = try await offPool {
                try PythonOracle.run(
                    script: "twilio_client_send.py", input: Data(),
                    arguments: [
                        apiBase, Self.account, Self.token, "+14155550100", "+15005550006", "Hello from the SDK",
                    ])
            }
            let json = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect((json["sid"] as? String)?.hasPrefix("SM") == true)
            #expect(json["status"] as? String == "queued")
            #expect(json["num_segments"] as? String == "1")
            #expect(simulator.inbox(of: "+14155550100").map(\.body) == ["Hello from the SDK"])
        }
    }
}
