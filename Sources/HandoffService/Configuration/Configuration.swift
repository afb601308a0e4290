public import HandoffCore
import HandoffHTTP

/// The effective configuration of a Handoff process: embedded defaults, then the config file,
/// then `HANDOFF_*` environment variables (the environment wins).
///
/// Every field is described by one `ConfigurationSetting` (see `Configuration+Settings.swift`),
/// which gives its config-file key, environment name, default and validation.
public struct Configuration: Sendable, Equatable {
    /// Which SMS gateway carries messages.
    public enum GatewayKind: String, Sendable, Equatable, CaseIterable {
        /// The built-in Twilio-compatible simulator on loopback.
        case simulator
        /// The real Twilio Messages API.
        case twilio
    }

    /// SQLite durability for acknowledged writes.
    public enum Synchronous: String, Sendable, Equatable, CaseIterable {
        /// An acknowledged write survives power loss.
        case full
        /// An acknowledged write survives a process crash, not power loss.
        case normal
    }

    /// How log lines are written.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        case logfmt
        case json
    }

    /// Log verbosity, least to most severe.
    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        case debug, info, warning, error
    }

    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    /// The `database` setting as given: a SQLite file, or a PostgreSQL URI (see `databaseBackend`).
    public var databasePath = "./data/handoff.sqlite"
    /// Connections to PostgreSQL per node.
    public var databasePool = 8
    /// This node's name among those sharing one PostgreSQL: its hostname and process id unless set.
    public var nodeID = Configuration.defaultNodeID
    public var migrationsDirectory = "./migrations"
    /// The base URL gateways and browsers use, without a trailing slash.
    public var publicURL = "http://127.0.0.1:8080"
    public var gateway = GatewayKind.simulator
    public var twilioAccountSID: String?
    public var twilioAuthToken: String?
    public var twilioFrom: String?
    public var twilioMessagingServiceSID: String?
    public var twilioAPIBase = "https://api.twilio.com"
    public var apiKeys: [String] = []
    public var adminAPIKeys: [String] = []
    public var widgetOrigins: [String] = []
    public var cookieSecure = true
    /// Proxies (addresses, CIDR blocks) whose `X-Forwarded-For` names the client; empty: none.
    var trustedProxies = TrustedProxies(blocks: [])
    public var eventWebhookURL: String?
    public var eventWebhookSecret: String?
    /// The optional external classifier, asked after each routed customer message is committed.
    public var classifierURL: String?
    public var classifierSecret: String?
    public var classifierTimeout = Duration.milliseconds(800)
    /// The key of the identity hashes that bind visitors to the business's ids; nil: none is accepted.
    public var identitySecret: String?
    public var defaultRegion = "US"
    public var databaseSynchronous = Synchronous.full
    public var databaseReaders = 4
    /// Days message bodies are kept; 0 keeps them for ever.
    public var messageRetentionDays = 0
    public var logLevel = LogLevel.info
    public var logFormat = LogFormat.logfmt
    public var maxBodyBytes = 1 << 20
    public var maxConnections = 10_000
    /// Open connections from one peer address at most (derived from `maxConnections` unless set).
    public var maxConnectionsPerAddress = 128
    /// Open live-event streams at most, below `maxConnections` so ordinary requests always find a
    /// connection (four fifths of it unless set).
    public var maxEventStreams = 8000
    /// Open live-event streams of one widget session at most.
    public var maxStreamsPerSession = 4
    public var acceptBacklog = 1024
    public var headerTimeout = Duration.seconds(10)
    public var bodyTimeout = Duration.seconds(30)
    /// Time a whole request body may take, however steadily it trickles.
    public var bodyDeadline = Duration.seconds(60)
    public var idleTimeout = Duration.seconds(75)
    public var writeTimeout = Duration.seconds(30)
    public var drainTimeout = Duration.seconds(10)
    /// Sessions expire after this many days without use.
    public var sessionLifetimeDays = 30
    /// Longest message body, in characters.
    public var maxMessageCharacters = 2000
    /// Visitor messages allowed per minute from one session, and from one IP address.
    public var messagesPerMinutePerSession = 30
    public var messagesPerMinutePerIP = 120
    /// New widget sessions per minute from one client address.
    public var sessionsPerMinutePerIP = 30
    /// The daily window (recipient's local time) for proactive texts.
    public var quietHours = QuietHours.federalUS
    /// Stricter windows by region or US state (`US-FL`, `GB`).
    public var quietHoursByRegion: [String: QuietHours] = [:]
    /// Days without proactive texts (0 = Sunday ... 6 = Saturday).
    public var quietDays: Set<Int> = []
    /// Proactive texts per number per 24 hours at most (0: no cap).
    public var proactivePerDay = 0
    /// A text is a reply, not proactive, when the customer wrote within this long.
    public var replyWindow = Duration.seconds(24 * 3600)
    /// Answer to a text from a number we do not know (nil: no answer; the conversation waits in
    /// the `unlinked` queue either way).
    public var unknownSenderReply: String?
    /// Extra compliance vocabulary (other languages): single words and opt-out phrases.
    public var keywordVocabulary = Keyword.Vocabulary()
    /// Extra phrases that ask for a human, and that flag a high-risk message (both escalate).
    public var humanRequestPhrases: [String] = []
    public var highRiskPhrases: [String] = []
    /// What the customer is told when a human takes over (`{{brand}}`).
    public var escalationReply = "{{brand}}: thanks - a member of our team will reply shortly."
    /// A conversation whose customer waited this long for an answer goes to the human queue.
    public var answerSLA = Duration.seconds(120)
    /// Handoff requests (verification codes) allowed per minute from one IP address.
    public var handoffsPerMinutePerIP = 10
    /// Caps on verification codes texted (SMS pumping), see `HandoffFlow.CodeCaps`.
    public var codesPerNumberPerRequesterPerHour = 3
    public var codesPerNumberPerHour = 10
    public var codesPerSessionPerHour = 3
    public var codesPerAddressPerDay = 20
    public var codesPerCountryPerHour = 500
    public var codesPerAreaCodePerHour = 100
    public var codesPerHour = 1000
    /// The brand or program name texts and the consent disclosure name.
    public var brandName = "Support"
    /// The disclosure the widget shows next to the consent checkbox; `{{brand}}` is replaced.
    public var consentText =
        "I agree to receive text messages about this conversation from {{brand}}. Message frequency varies. "
        + "Msg & data rates may apply. Reply HELP for help, STOP to cancel."
    /// Disclosures per program and locale (keys `es`, `es-MX`, `alerts`, `alerts/es`), from the YAML
    /// file named by `consent_texts`; `consentText` is the fallback.
    public var consentTexts: [String: String] = [:]
    public var consentTextsFile: String?
    /// The programs people opt in to: the built-in `chat` and those of `programs:` (reloadable).
    public var programs = ProgramCatalog()
    /// The queues humans work: those of `queues:` and the built-in `humans` (reloadable).
    public var queues = QueueCatalog.builtIn
    /// The intents messages are classified into, with their actions: `intents:` merged over the
    /// shipped defaults (reloadable).
    public var intents = IntentCatalog.defaults
    /// The first text after verification (`{{brand}}`).
    public var confirmationTemplate =
        "{{brand}}: you're all set to continue this chat by text. Msg frequency varies. Msg & data rates may apply. "
        + "Reply HELP for help, STOP to cancel."
    /// The context bridge (`{{brand}}`, `{{question}}`, `{{answer}}`).
    public var summaryTemplate = "Where we left off - you asked: {{question}} / Our last reply: {{answer}}"
    /// Regions whose numbers may be texted (SMS pumping defence); empty means the default region only.
    public var smsCountries: [String] = []
    /// Replace typographic characters with GSM-7 look-alikes before sending (fewer segments).
    public var smsSmartEncoding = false
    /// Most segments one outbound text may need (422 beyond).
    public var smsMaxSegments = 10
    /// Sends per second per sender number; 0 = no pacing (Twilio queues on its side).
    public var smsPerSecond = 0
    /// Requests in flight to the SMS gateway at most (Twilio answers 20429 beyond its own limit).
    public var smsMaxInFlight = 10
    /// Delivery attempts of an outbox row (SMS, event webhook) before it is dead-lettered.
    public var outboxMaxAttempts = 8
    /// Comment lines sent on idle event streams so proxies keep them open.
    public var eventStreamHeartbeat = Duration.seconds(15)
    /// Bearer token `/metrics` requires; without one it answers direct loopback clients only.
    public var metricsToken: String?

    public init() {}
}

/// A `host:port` to bind: an IPv4 address, `localhost`, or a bracketed IPv6 address.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8080`, `0.0.0.0:0`, `[::1]:8080`, `localhost:8080`; nil if malformed.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            let isIPv4 =
                host.split(separator: ".", omittingEmptySubsequences: false).count == 4
                && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
                    !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && Int($0)! <= 255
                }
            guard isIPv4 || host == "localhost" else { return nil }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
            let port = Int(portText), port <= 65535
        else { return nil }
        self.init(host: String(host), port: port)
    }

    /// Whether only this machine can reach the address (`127.0.0.0/8`, `::1`, `localhost`).
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// The address as written in a URL authority (IPv6 in brackets).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
