/// The one error type of the Gateway module: transport failures of the HTTP client, and
/// gateway answers classified for the outbox (retry, give up, suppress the recipient).
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What happened, in the terms the outbox acts on.
    public enum Kind: Sendable, Equatable {
        /// No complete answer in time (connect or total timeout). Retryable.
        case timeout
        /// Could not connect (refused, unreachable, DNS). Retryable.
        case connect
        /// TLS handshake or certificate verification failed.
        case tls
        /// Any other transport failure (reset mid-transfer, protocol error). Retryable.
        case transport
        /// The gateway answered with a non-2xx status that no rule below classified.
        case httpStatus(Int)
        /// The gateway refused for good (invalid number, not a mobile number, other 4xx).
        case permanent
        /// The recipient opted out at the carrier or gateway (Twilio 21610): suppress the number.
        case recipientOptedOut
        /// Too many requests (HTTP 429, Twilio 20429): retry after `retryAfter` or with backoff.
        case rateLimited
        /// The gateway's answer could not be understood.
        case invalidResponse
        /// A webhook's signature did not verify.
        case invalidSignature
        /// A webhook's body was not what the gateway sends.
        case malformedWebhook
        /// The caller's task was cancelled and the transfer aborted; whether the gateway acted on
        /// the request is unknown, as after a timeout. Retryable.
        case cancelled
    }

    public var kind: Kind
    /// A stable snake_case code for logs and metrics, e.g. `connect_failed`, `twilio_21610`.
    public var code: String
    /// A human sentence; never contains message bodies or full phone numbers.
    public var message: String
    /// How long the gateway asked us to wait before retrying, if it said.
    public var retryAfter: Duration?
    /// The gateway's own error code (Twilio's `code`/`ErrorCode`), if any.
    public var providerCode: Int?

    public init(
        _ kind: Kind, code: String, message: String, retryAfter: Duration? = nil, providerCode: Int? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.providerCode = providerCode
    }

    /// Whether trying again later may succeed.
    public var isRetryable: Bool {
        switch kind {
        case .timeout, .connect, .transport, .rateLimited, .cancelled: true
        case .httpStatus(let status): status >= 500 || status == 429
        case .tls, .permanent, .recipientOptedOut, .invalidResponse, .invalidSignature, .malformedWebhook: false
        }
    }

    /// The error of a transfer whose task was cancelled.
    static let cancelled = GatewayError(.cancelled, code: "cancelled", message: "The transfer was cancelled.")

    public var description: String { "\(code): \(message)" }
}
