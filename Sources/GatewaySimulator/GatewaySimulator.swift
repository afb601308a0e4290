import Foundation
public import Gateway
import HTTPServer
import HTTPValues
import HandoffCore
public import Lifecycle
import Synchronization

/// A Twilio-compatible Messages API on loopback, with simulated phones, for development and tests.
///
/// `TwilioGateway` talks to it through libcurl exactly as to Twilio. It answers a send like
/// Twilio (sid, status, num_segments), then posts signed status callbacks (sent, delivered) to
/// the message's StatusCallback, and keeps each phone's inbox. A phone's text goes to our
/// inbound webhook, and the `<Message>` replies of its TwiML answer reach the phone, as with
/// Twilio. Tests can make it fail. As a `Service`, `start` binds and `run` serves until its
/// shutdown fires.
public final class GatewaySimulator: Service {
    /// A message a simulated phone received.
    public struct Received: Sendable, Equatable, Codable {
        public var sid: String
        public var from: String
        public var to: String
        public var body: String
        public var segments: Int
        public var receivedAt: String

        enum CodingKeys: String, CodingKey {
            case sid, from, to, body, segments
            case receivedAt = "received_at"
        }
    }

    /// A failure to answer the next sends with.
    public enum Failure: Sendable, Equatable {
        case serverError
        case rateLimited(retryAfterSeconds: Int)
        /// Answers only after this long (longer than the client's timeout).
        case slow(Duration)
        case optedOut
        case invalidNumber
    }

    public let accountSID: String
    private let authToken: String
    private let client: HTTPClient
    /// Where simulated phones' texts go (our inbound webhook, as its public URL).
    private let inboundWebhookURL: String
    private let server: HTTPServer
    private let inboxes = Mutex([String: [Received]]())
    private let failures = Mutex([Failure]())
    private let sent = Atomic<Int>(0)

    public init(accountSID: String, authToken: String, inboundWebhookURL: String, client: HTTPClient) {
        self.accountSID = accountSID
        self.authToken = authToken
        self.inboundWebhookURL = inboundWebhookURL
        self.client = client
        let box = SimulatorReference()
        var router = Router()
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request in
            guard let simulator = box.simulator else {
                throw HTTPError(.serviceUnavailable, code: "starting", message: "")
            }
            return try await simulator.acceptSend(request)
        }
        server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, serverName: "twilio-simulator"),
            responder: router)
        box.simulator = self
    }

    /// Starts listening on a free loopback port.
    public func start() throws { try server.start() }

    public func shutdown() async { await server.shutdown(gracePeriod: .milliseconds(200)) }

    /// Serves until `shutdown` fires, then stops.
    public func run(until shutdown: Trigger) async {
        await shutdown.wait()
        await self.shutdown()
    }

    /// The base URL to give `TwilioGateway` as its API base.
    public var apiBase: String { "http://127.0.0.1:\(server.port)" }

    /// Messages accepted through the Messages API so far (all phones; TwiML replies not counted).
    public var sentCount: Int { sent.load(ordering: .relaxed) }

    /// What `phone` has received, oldest first.
    public func inbox(of phone: String) -> [Received] { inboxes.withLock { $0[phone] ?? [] } }

    /// Answers the next `count` sends with `failure`.
    public func fail(_ failure: Failure, count: Int = 1) {
        failures.withLock { $0 += Array(repeating: failure, count: count) }
    }

    /// The phone texts us: a signed inbound webhook, as Twilio would send it. Returns our answer;
    /// the texts of its TwiML `<Message>`s are delivered to the phone. Passing the `messageSID`
    /// of an earlier text delivers that text again, as Twilio sometimes does.
    @discardableResult
    public func reply(
        from phone: String, to number: String, body: String, messageSID: String? = nil, media: [String] = []
    ) async throws(GatewayError) -> HTTPClientResponse {
        let sid = messageSID ?? Self.newSID()
        var form = URLEncodedForm([
            ("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", String(media.count)), ("SmsSid", sid),
            ("SmsStatus", "received"),
            ("Body", body), ("To", number), ("NumSegments", String(SMSSegments(body: body).count)),
            ("MessageSid", sid), ("AccountSid", accountSID), ("From", phone), ("ApiVersion", "2010-04-01"),
        ])
        for (index, url) in media.enumerated() {
            form.fields += [("MediaUrl\(index)", url), ("MediaContentType\(index)", "image/jpeg")]
        }
        let answer = try await post(form, to: inboundWebhookURL)
        if (200..<300).contains(answer.status) {
            for text in TwiML.messages(in: String(decoding: answer.body, as: UTF8.self)) {
                deliver(text, from: number, to: phone)
            }
        }
        return answer
    }

    /// Puts `body` in the inbox of `to` and returns it as received.
    @discardableResult
    private func deliver(_ body: String, from: String, to: String) -> Received {
        let received = Received(
            sid: Self.newSID(), from: from, to: to, body: body, segments: SMSSegments(body: body).count,
            receivedAt: Timestamp(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)).description)
        inboxes.withLock { $0[to, default: []].append(received) }
        return received
    }

    // MARK: The Messages API

    private func acceptSend(_ request: HTTPRequest) async throws -> HTTPResponse {
        let expected = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        guard request.headers["Authorization"] == expected, request.pathParameters["account"] == accountSID else {
            return Self.twilioError(401, code: 20003, "Authenticate")
        }
        let form: URLEncodedForm
        do {
            form = try URLEncodedForm(decoding: request.body)
        } catch {
            return Self.twilioError(400, code: 21100, "Malformed form")
        }
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            switch failure {
            case .serverError: return Self.twilioError(500, code: 20500, "Internal Server Error")
            case .rateLimited(let seconds):
                var response = Self.twilioError(429, code: 20429, "Too Many Requests")
                response.headers.add(name: "Retry-After", value: String(seconds))
                return response
            case .slow(let delay): try await Task.sleep(for: delay)
            case .optedOut: return Self.twilioError(400, code: 21610, "Attempt to send to unsubscribed recipient")
            case .invalidNumber: return Self.twilioError(400, code: 21211, "Invalid 'To' Phone Number")
            }
        }
        guard let to = form["To"], to.hasPrefix("+"), to.count >= 8, to.dropFirst().allSatisfy(\.isASCII),
            to.dropFirst().allSatisfy(\.isNumber)
        else { return Self.twilioError(400, code: 21211, "Invalid 'To' Phone Number") }
        guard let from = form["From"] ?? form["MessagingServiceSid"] else {
            return Self.twilioError(400, code: 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        }
        let body = form["Body"] ?? ""
        let received = deliver(body, from: from, to: to)
        let (sid, segments, now) = (received.sid, received.segments, received.receivedAt)
        sent.add(1, ordering: .relaxed)
        if let callback = form["StatusCallback"] {
            Task { await self.reportDelivery(sid: sid, from: from, to: to, callback: callback) }
        }
        let json: [String: Any] = [
            "sid": sid, "account_sid": accountSID, "status": "queued", "to": to, "from": from, "body": body,
            "num_segments": String(segments), "direction": "outbound-api", "api_version": "2010-04-01",
            "error_code": NSNull(), "error_message": NSNull(), "date_created": now,
            "uri": "/2010-04-01/Accounts/\(accountSID)/Messages/\(sid).json",
        ]
        return HTTPResponse(
            status: .created, contentType: "application/json",
            body: Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
    }

    /// Posts `sent` then `delivered`, signed, as Twilio does.
    private func reportDelivery(sid: String, from: String, to: String, callback: String) async {
        for status in ["sent", "delivered"] {
            try? await Task.sleep(for: .milliseconds(100))
            let form = URLEncodedForm([
                ("AccountSid", accountSID), ("From", from), ("To", to), ("MessageSid", sid), ("SmsSid", sid),
                ("MessageStatus", status), ("SmsStatus", status), ("ApiVersion", "2010-04-01"),
            ])
            _ = try? await post(form, to: callback)
        }
    }

    private func post(_ form: URLEncodedForm, to url: String) async throws(GatewayError) -> HTTPClientResponse {
        let signature = TwilioSignature.compute(url: url, parameters: form.fields, authToken: authToken)
        return try await client.send(
            HTTPClientRequest(
                method: "POST", url: url,
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
                    ("User-Agent", "TwilioProxy/1.1"),
                ],
                body: form.encoded))
    }

    private static func twilioError(_ status: Int, code: Int, _ message: String) -> HTTPResponse {
        let body =
            #"{"code": \#(code), "message": "\#(message)", "more_info": "https://www.twilio.com/docs/errors/\#(code)", "status": \#(status)}"#
        return HTTPResponse(status: HTTPStatus(code: status), contentType: "application/json", body: Array(body.utf8))
    }

    /// `SM` and 32 hex digits, like Twilio's message sids.
    static func newSID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "SM"
            + (0..<2).map { _ in
                let hex = String(generator.next() as UInt64, radix: 16)
                return String(repeating: "0", count: 16 - hex.count) + hex
            }.joined()
    }
}

/// Lets the simulator's routes, built before `self` exists, reach it.
// @unchecked Sendable: `simulator` is set once in init, before the server can accept anything.
private final class SimulatorReference: @unchecked Sendable {
    weak var simulator: GatewaySimulator?
}
