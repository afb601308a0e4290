public import HTTPValues

/// An SMS to send.
public struct OutboundSMS: Sendable, Equatable {
    /// E.164 recipient.
    public var to: String
    public var body: String
    /// Where the gateway posts delivery reports for this message.
    public var statusCallbackURL: String?

    public init(to: String, body: String, statusCallbackURL: String?) {
        self.to = to
        self.body = body
        self.statusCallbackURL = statusCallbackURL
    }
}

/// The gateway accepted a message.
public struct SendReceipt: Sendable, Equatable {
    public var providerMessageID: String
    /// The gateway's status at acceptance (`queued`, `accepted`, ...).
    public var status: String
    public var segments: Int?

    public init(providerMessageID: String, status: String, segments: Int?) {
        self.providerMessageID = providerMessageID
        self.status = status
        self.segments = segments
    }
}

/// A text a phone sent us.
public struct InboundSMS: Sendable, Equatable {
    public var providerMessageID: String
    public var from: String
    public var to: String
    public var body: String
    public var segments: Int?
    /// The gateway's own keyword handling, when it did any (`STOP`, `START`, `HELP`).
    public var optOutType: String?
    /// MMS media URLs, in order (references only: nothing is fetched).
    public var mediaURLs: [String]

    public init(
        providerMessageID: String, from: String, to: String, body: String, segments: Int?, optOutType: String?,
        mediaURLs: [String] = []
    ) {
        self.providerMessageID = providerMessageID
        self.from = from
        self.to = to
        self.body = body
        self.segments = segments
        self.optOutType = optOutType
        self.mediaURLs = mediaURLs
    }
}

/// A delivery report for a message we sent.
public struct DeliveryReport: Sendable, Equatable {
    public var providerMessageID: String
    /// The gateway's status word (`sent`, `delivered`, `undelivered`, `failed`, ...).
    public var status: String
    public var errorCode: Int?
    /// The recipient, when the report names it.
    public var to: String?

    public init(providerMessageID: String, status: String, errorCode: Int?, to: String?) {
        self.providerMessageID = providerMessageID
        self.status = status
        self.errorCode = errorCode
        self.to = to
    }
}

/// An SMS gateway: sending, and reading and authenticating its webhooks.
public protocol SMSGateway: Sendable {
    /// Hands a message to the gateway; throws a classified `GatewayError` when it refuses.
    func send(_ sms: OutboundSMS) async throws(GatewayError) -> SendReceipt
    /// Whether a webhook to `url` (the public URL it was configured with) is authentic.
    func isAuthentic(url: String, form: URLEncodedForm, headers: HTTPHeaders) -> Bool
    func parseInbound(_ form: URLEncodedForm) throws(GatewayError) -> InboundSMS
    func parseDeliveryReport(_ form: URLEncodedForm) throws(GatewayError) -> DeliveryReport
}
