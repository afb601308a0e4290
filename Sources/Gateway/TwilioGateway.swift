import Foundation
public import HTTPValues

/// The Twilio Messages API and Twilio's webhooks (PROTOCOLS.md).
public struct TwilioGateway: SMSGateway {
    /// Who messages come from.
    public enum Sender: Sendable, Equatable {
        case number(String)
        case messagingService(String)
    }

    public let accountSID: String
    private let authToken: String
    public let sender: Sender
    /// e.g. `https://api.twilio.com`, or the simulator's loopback address (asked at each send:
    /// the simulator's port is known only once it listens).
    private let apiBase: @Sendable () -> String
    private let client: HTTPClient

    public init(
        accountSID: String, authToken: String, sender: Sender, apiBase: @autoclosure @escaping @Sendable () -> String,
        client: HTTPClient
    ) {
        self.accountSID = accountSID
        self.authToken = authToken
        self.sender = sender
        self.apiBase = apiBase
        self.client = client
    }

    public func send(_ sms: OutboundSMS) async throws(GatewayError) -> SendReceipt {
        var form = URLEncodedForm([("To", sms.to), ("Body", sms.body)])
        switch sender {
        case .number(let number): form.fields.append(("From", number))
        case .messagingService(let sid): form.fields.append(("MessagingServiceSid", sid))
        }
        if let callback = sms.statusCallbackURL { form.fields.append(("StatusCallback", callback)) }
        let credentials = Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        let response = try await client.send(
            HTTPClientRequest(
                method: "POST", url: "\(apiBase())/2010-04-01/Accounts/\(accountSID)/Messages.json",
                headers: [
                    ("Authorization", "Basic \(credentials)"), ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Accept", "application/json"),
                ],
                body: form.encoded))
        return try Self.receipt(from: response)
    }

    /// Reads the Messages API's answer: a receipt for any 2xx, a classified error otherwise.
    static func receipt(from response: HTTPClientResponse) throws(GatewayError) -> SendReceipt {
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200..<300).contains(response.status) else { throw error(from: response, json: json) }
        guard let sid = json?["sid"] as? String, !sid.isEmpty else {
            throw GatewayError(
                .invalidResponse, code: "twilio_no_sid", message: "Twilio accepted the message without a sid.")
        }
        let segments = (json?["num_segments"] as? String).flatMap(Int.init) ?? json?["num_segments"] as? Int
        return SendReceipt(providerMessageID: sid, status: json?["status"] as? String ?? "queued", segments: segments)
    }

    /// Classifies a refusal (PROTOCOLS.md): opted out, rate limited, retryable 5xx, permanent 4xx.
    static func error(from response: HTTPClientResponse, json: [String: Any]?) -> GatewayError {
        let code = json?["code"] as? Int
        let detail = (json?["message"] as? String) ?? (json?["detail"] as? String) ?? "no detail"
        let retryAfter = response.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        let label = code.map { "twilio_\($0)" } ?? "twilio_http_\(response.status)"
        if code == 21610 {
            return GatewayError(
                .recipientOptedOut, code: label, message: "The recipient has opted out of messages.", providerCode: code
            )
        }
        if response.status == 429 || code == 20429 {
            return GatewayError(
                .rateLimited, code: label, message: "Twilio asked us to slow down.", retryAfter: retryAfter,
                providerCode: code)
        }
        if response.status >= 500 {
            return GatewayError(
                .httpStatus(response.status), code: label, message: "Twilio failed (\(response.status)).",
                retryAfter: retryAfter, providerCode: code)
        }
        return GatewayError(
            .permanent, code: label, message: "Twilio refused the message (\(response.status)): \(detail)",
            providerCode: code)
    }

    public func isAuthentic(url: String, form: URLEncodedForm, headers: HTTPHeaders) -> Bool {
        TwilioSignature.isValid(
            headers["X-Twilio-Signature"], url: url, parameters: form.fields, authToken: authToken)
    }

    public func parseInbound(_ form: URLEncodedForm) throws(GatewayError) -> InboundSMS {
        guard let sid = form["MessageSid"] ?? form["SmsSid"], let from = form["From"], let to = form["To"] else {
            throw GatewayError(
                .malformedWebhook, code: "twilio_inbound_fields", message: "MessageSid, From and To are required.")
        }
        let mediaCount = min(form["NumMedia"].flatMap(Int.init) ?? 0, 10)
        return InboundSMS(
            providerMessageID: sid, from: from, to: to, body: form["Body"] ?? "",
            segments: form["NumSegments"].flatMap(Int.init), optOutType: form["OptOutType"],
            mediaURLs: (0..<max(mediaCount, 0)).compactMap { form["MediaUrl\($0)"] })
    }

    public func parseDeliveryReport(_ form: URLEncodedForm) throws(GatewayError) -> DeliveryReport {
        guard let sid = form["MessageSid"] ?? form["SmsSid"],
            let status = form["MessageStatus"] ?? form["SmsStatus"]
        else {
            throw GatewayError(
                .malformedWebhook, code: "twilio_status_fields", message: "MessageSid and MessageStatus are required.")
        }
        return DeliveryReport(
            providerMessageID: sid, status: status.lowercased(), errorCode: form["ErrorCode"].flatMap(Int.init),
            to: form["To"])
    }
}
