import Foundation
import HandoffCore
import HandoffHTTP
import Postgres
import Yams

extension Configuration {
    /// Every setting, in the order `check-config` and the example config list them.
    public static let settings: [ConfigurationSetting] = [
        text("listen", "127.0.0.1:8080", "Address and port to bind: an IPv4 address, localhost or [IPv6].") {
            guard let address = ListenAddress(parsing: $1) else {
                throw SettingProblem("expected host:port such as 127.0.0.1:8080 or [::1]:8080")
            }
            $0.listen = address
        } current: {
            $0.listen.description
        },
        text(
            "database", "./data/handoff.sqlite",
            "SQLite database file (its folder is created if missing), or a postgresql:// URI (libpq's options, TLS too)."
        ) {
            try nonEmpty($1)
            if case .postgres(let uri) = DatabaseBackend($1) {
                do throws(PostgresError) {
                    try PostgresConnection.validate(uri: uri)
                } catch {
                    throw SettingProblem(error.message)
                }
            }
            $0.databasePath = $1
        } current: {
            $0.databaseBackend.description
        },
        text("database_pool", "8", "Connections to PostgreSQL per node (database a postgresql:// URI).") {
            $0.databasePool = try integer($1, in: 1...256)
        } current: {
            String($0.databasePool)
        },
        text("node_id", "<hostname>-<pid>", "This node's name among those sharing one PostgreSQL (logs, leases).") {
            try nonEmpty($1)
            $0.nodeID = $1
        } current: {
            $0.nodeID
        },
        text("migrations", "./migrations", "Folder of NNNN_name.sql migration files (PostgreSQL's in its postgres/).") {
            try nonEmpty($1)
            $0.migrationsDirectory = $1
        } current: {
            $0.migrationsDirectory
        },
        text(
            "public_url", "http://<listen>",
            "Base URL gateways and browsers use to reach us; webhook signatures are checked against it."
        ) {
            $0.publicURL = try httpURL($1)
        } current: {
            $0.publicURL
        },
        text("gateway", "simulator", "SMS gateway: simulator (built-in, loopback) or twilio.") {
            $0.gateway = try oneOf($1)
        } current: {
            $0.gateway.rawValue
        },
        text("twilio_account_sid", "", "Twilio Account SID (AC...).") {
            $0.twilioAccountSID = try optional($1)
        } current: {
            $0.twilioAccountSID
        },
        secret("twilio_auth_token", "Twilio auth token; also the webhook signing key.") {
            $0.twilioAuthToken = try optional($1)
        } current: {
            $0.twilioAuthToken
        },
        text("twilio_from", "", "Sender number in E.164 (or use twilio_messaging_service_sid).") {
            $0.twilioFrom = try optional($1)
        } current: {
            $0.twilioFrom
        },
        text("twilio_messaging_service_sid", "", "Twilio Messaging Service SID (MG...) used as sender.") {
            $0.twilioMessagingServiceSID = try optional($1)
        } current: {
            $0.twilioMessagingServiceSID
        },
        text("twilio_api_base", "https://api.twilio.com", "Base URL of the Twilio Messages API.") {
            $0.twilioAPIBase = try httpURL($1)
        } current: {
            $0.twilioAPIBase
        },
        secret("api_keys", "Comma-separated bearer keys for the bot/agent API.") {
            $0.apiKeys = try bearerKeys($1, kind: "API")
        } current: {
            $0.apiKeys.isEmpty ? nil : $0.apiKeys.joined(separator: ",")
        },
        secret("admin_api_keys", "Comma-separated bearer keys for the admin API (/v1/admin/...).") {
            $0.adminAPIKeys = try bearerKeys($1, kind: "admin")
        } current: {
            $0.adminAPIKeys.isEmpty ? nil : $0.adminAPIKeys.joined(separator: ",")
        },
        text("widget_origins", "the public URL's origin", "Comma-separated origins allowed to use the widget API.") {
            $0.widgetOrigins = try list($1).map(origin)
        } current: {
            $0.widgetOrigins.joined(separator: ",")
        },
        text("cookie_secure", "true", "Mark the session cookie Secure; false only for plain-http local use.") {
            $0.cookieSecure = try bool($1)
        } current: {
            String($0.cookieSecure)
        },
        text(
            "trusted_proxies", "",
            "Comma-separated proxy addresses or CIDR blocks whose X-Forwarded-For names the client (empty: none)."
        ) {
            switch TrustedProxies.parse(list($1)) {
            case .success(let proxies): $0.trustedProxies = proxies
            case .failure(let invalid):
                throw SettingProblem("\(invalid.entry) is not an IP address or CIDR block such as 10.0.0.0/8 or ::1")
            }
        } current: {
            $0.trustedProxies.description
        },
        text("event_webhook_url", "", "Where business events (message.created, ...) are POSTed.") {
            $0.eventWebhookURL = try optional($1).map(httpURL)
        } current: {
            $0.eventWebhookURL
        },
        secret("event_webhook_secret", "Signing secret for X-Handoff-Signature on business events.") {
            $0.eventWebhookSecret = try optional($1)
        } current: {
            $0.eventWebhookSecret
        },
        text(
            "classifier_url", "",
            "An external intent classifier, POSTed each routed customer message after its commit (signed)."
        ) {
            $0.classifierURL = try optional($1).map(httpURL)
        } current: {
            $0.classifierURL
        },
        secret("classifier_secret", "Signing secret for X-Handoff-Signature on classifier requests.") {
            $0.classifierSecret = try optional($1)
        } current: {
            $0.classifierSecret
        },
        text("classifier_timeout", "800ms", "How long the classifier may take; past it the rules' intent stands.") {
            $0.classifierTimeout = try duration($1)
        } current: {
            seconds($0.classifierTimeout)
        },
        secret(
            "identity_secret",
            "HMAC-SHA256 key of the identity_hash sites send with external_id; unset, external_id is refused."
        ) {
            let secret = try optional($1)
            if let secret, secret.count < 16 {
                throw SettingProblem("expected a secret of at least 16 characters")
            }
            $0.identitySecret = secret
        } current: {
            $0.identitySecret
        },
        text("default_region", "US", "Region (ISO 3166 alpha-2) for phone numbers typed without a country code.") {
            guard $1.count == 2, $1.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw SettingProblem("expected a two-letter region code such as US or GB")
            }
            $0.defaultRegion = $1
        } current: {
            $0.defaultRegion
        },
        text("db_synchronous", "full", "SQLite durability: full (survives power loss) or normal.") {
            $0.databaseSynchronous = try oneOf($1)
        } current: {
            $0.databaseSynchronous.rawValue
        },
        text("db_readers", "4", "Number of read-only SQLite connections.") {
            $0.databaseReaders = try integer($1, in: 1...64)
        } current: {
            String($0.databaseReaders)
        },
        text("log_level", "info", "debug, info, warning or error.") {
            $0.logLevel = try oneOf($1)
        } current: {
            $0.logLevel.rawValue
        },
        text("log_format", "logfmt", "logfmt or json lines on standard error.") {
            $0.logFormat = try oneOf($1)
        } current: {
            $0.logFormat.rawValue
        },
        text("max_body_bytes", "1048576", "Largest request body accepted (413 beyond).") {
            $0.maxBodyBytes = try integer($1, in: 1024...(64 << 20))
        } current: {
            String($0.maxBodyBytes)
        },
        text("max_connections", "10000", "Open connections allowed; beyond it new ones get 503.") {
            $0.maxConnections = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.maxConnections)
        },
        text(
            "max_connections_per_address", "max_connections / 5, from 2 to 128",
            "Open connections from one client address; beyond it new ones get 429."
        ) {
            $0.maxConnectionsPerAddress = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.maxConnectionsPerAddress)
        },
        text(
            "max_event_streams", "max_connections * 4 / 5",
            "Open live-event streams in all (503 beyond); below max_connections, the rest is for requests."
        ) {
            $0.maxEventStreams = try integer($1, in: 0...1_000_000)
        } current: {
            String($0.maxEventStreams)
        },
        text("max_streams_per_session", "4", "Open live-event streams of one widget session (429 beyond).") {
            $0.maxStreamsPerSession = try integer($1, in: 1...1000)
        } current: {
            String($0.maxStreamsPerSession)
        },
        text("accept_backlog", "1024", "Listen backlog of pending connections.") {
            $0.acceptBacklog = try integer($1, in: 1...65535)
        } current: {
            String($0.acceptBacklog)
        },
        text("header_timeout", "10s", "Time allowed to receive a request head (slow clients are cut off).") {
            $0.headerTimeout = try duration($1)
        } current: {
            seconds($0.headerTimeout)
        },
        text("body_timeout", "30s", "Time allowed between two reads of a request body.") {
            $0.bodyTimeout = try duration($1)
        } current: {
            seconds($0.bodyTimeout)
        },
        text("body_deadline", "60s", "Time allowed for a whole request body, however steadily it trickles.") {
            $0.bodyDeadline = try duration($1)
        } current: {
            seconds($0.bodyDeadline)
        },
        text("idle_timeout", "75s", "Idle keep-alive connections are closed after this.") {
            $0.idleTimeout = try duration($1)
        } current: {
            seconds($0.idleTimeout)
        },
        text("write_timeout", "30s", "A client that reads nothing for this long is disconnected.") {
            $0.writeTimeout = try duration($1)
        } current: {
            seconds($0.writeTimeout)
        },
        text("drain_timeout", "10s", "On SIGTERM/SIGINT, in-flight requests get this long to finish.") {
            $0.drainTimeout = try duration($1)
        } current: {
            seconds($0.drainTimeout)
        },
        text("session_lifetime_days", "30", "A widget session expires after this many days without use.") {
            $0.sessionLifetimeDays = try integer($1, in: 1...3650)
        } current: {
            String($0.sessionLifetimeDays)
        },
        text("max_message_chars", "2000", "Longest message body in characters (422 beyond).") {
            $0.maxMessageCharacters = try integer($1, in: 1...100_000)
        } current: {
            String($0.maxMessageCharacters)
        },
        text("messages_per_minute_per_session", "30", "Visitor messages allowed per minute per session (429 beyond).") {
            $0.messagesPerMinutePerSession = try integer($1, in: 1...100_000)
        } current: {
            String($0.messagesPerMinutePerSession)
        },
        text("messages_per_minute_per_ip", "120", "Visitor messages allowed per minute per IP address.") {
            $0.messagesPerMinutePerIP = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.messagesPerMinutePerIP)
        },
        text("sessions_per_minute_per_ip", "30", "New widget sessions allowed per minute per client address.") {
            $0.sessionsPerMinutePerIP = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.sessionsPerMinutePerIP)
        },
        text("quiet_hours", "08:00-21:00", "Recipient-local window for proactive texts (replies are not deferred).") {
            guard let window = QuietHours(parsing: $1) else {
                throw SettingProblem("expected HH:MM-HH:MM with the start before the end, such as 08:00-21:00")
            }
            $0.quietHours = window
        } current: {
            $0.quietHours.description
        },
        text(
            "quiet_hours_by_region", "",
            "Stricter windows: comma-separated REGION=HH:MM-HH:MM, REGION a country (GB) or US state (US-FL)."
        ) {
            var windows: [String: QuietHours] = [:]
            for entry in list($1) {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let window = QuietHours(parsing: parts[1]) else {
                    throw SettingProblem("expected REGION=HH:MM-HH:MM entries such as US-FL=08:00-20:00")
                }
                windows[parts[0].uppercased()] = window
            }
            $0.quietHoursByRegion = windows
        } current: {
            $0.quietHoursByRegion.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.description)" }
                .joined(separator: ",")
        },
        text("quiet_days", "", "Days without proactive texts: comma-separated sun, mon, ... sat.") {
            var days: Set<Int> = []
            for name in list($1) {
                guard let day = weekdayNames.firstIndex(of: name.lowercased()) else {
                    throw SettingProblem("expected day names sun, mon, tue, wed, thu, fri, sat")
                }
                days.insert(day)
            }
            $0.quietDays = days
        } current: {
            $0.quietDays.sorted().map { weekdayNames[$0] }.joined(separator: ",")
        },
        text("proactive_per_day", "0", "Proactive texts per number per 24 hours at most (0: no cap).") {
            $0.proactivePerDay = try integer($1, in: 0...100)
        } current: {
            String($0.proactivePerDay)
        },
        text(
            "reply_window", "24h",
            "A text answers the customer (and is never deferred) within this long of their last message."
        ) {
            $0.replyWindow = try duration($1)
        } current: {
            seconds($0.replyWindow)
        },
        text("unknown_sender_reply", "", "Answer to a text from an unknown number (empty: none; {{brand}}).") {
            guard let text = try optional($1) else {
                $0.unknownSenderReply = nil
                return
            }
            try template(text, allowed: ["brand"])
            $0.unknownSenderReply = text
        } current: {
            $0.unknownSenderReply
        },
        text("stop_words", "", "Extra single-word opt-outs beyond STOP & co. (comma-separated, e.g. BAJA,ARRET).") {
            $0.keywordVocabulary.optOutWords = Set(list($1).map { $0.uppercased() })
        } current: {
            $0.keywordVocabulary.optOutWords.sorted().joined(separator: ",")
        },
        text("start_words", "", "Extra single-word opt-ins beyond START, YES, UNSTOP (comma-separated).") {
            $0.keywordVocabulary.optInWords = Set(list($1).map { $0.uppercased() })
        } current: {
            $0.keywordVocabulary.optInWords.sorted().joined(separator: ",")
        },
        text("help_words", "", "Extra help words beyond HELP, INFO (comma-separated, e.g. AYUDA,AIDE).") {
            $0.keywordVocabulary.helpWords = Set(list($1).map { $0.uppercased() })
        } current: {
            $0.keywordVocabulary.helpWords.sorted().joined(separator: ",")
        },
        text("stop_phrases", "", "Extra phrases read as \"stop texting me\" (comma-separated, lowercase).") {
            $0.keywordVocabulary.optOutPhrases = list($1).map { $0.lowercased() }
        } current: {
            $0.keywordVocabulary.optOutPhrases.joined(separator: ",")
        },
        text("human_request_phrases", "", "Extra phrases asking for a human (comma-separated); they escalate.") {
            $0.humanRequestPhrases = list($1).map { $0.lowercased() }
        } current: {
            $0.humanRequestPhrases.joined(separator: ",")
        },
        text("high_risk_phrases", "", "Extra high-risk phrases (refund-like, angry; comma-separated); they escalate.") {
            $0.highRiskPhrases = list($1).map { $0.lowercased() }
        } current: {
            $0.highRiskPhrases.joined(separator: ",")
        },
        text("escalation_reply", "(see example)", "What the customer is told when a human takes over ({{brand}}).") {
            try template($1, allowed: ["brand"])
            $0.escalationReply = $1
        } current: {
            $0.escalationReply
        },
        text("answer_sla", "2m", "A customer waiting this long for an answer gets a human (escalation).") {
            $0.answerSLA = try duration($1)
        } current: {
            seconds($0.answerSLA)
        },
        text("handoffs_per_minute_per_ip", "10", "Handoff requests (codes texted) per minute from one IP address.") {
            $0.handoffsPerMinutePerIP = try integer($1, in: 1...100_000)
        } current: {
            String($0.handoffsPerMinutePerIP)
        },
        text(
            "codes_per_number_per_requester_per_hour", "3",
            "Codes texted to one number per hour for one requester (its session or address); others keep theirs."
        ) {
            $0.codesPerNumberPerRequesterPerHour = try integer($1, in: 1...1000)
        } current: {
            String($0.codesPerNumberPerRequesterPerHour)
        },
        text("codes_per_number_per_hour", "10", "Codes texted to one number per hour, whoever asks (the ceiling).") {
            $0.codesPerNumberPerHour = try integer($1, in: 1...10_000)
        } current: {
            String($0.codesPerNumberPerHour)
        },
        text("codes_per_session_per_hour", "3", "Codes one widget session may ask for per hour, to any numbers.") {
            $0.codesPerSessionPerHour = try integer($1, in: 1...1000)
        } current: {
            String($0.codesPerSessionPerHour)
        },
        text("codes_per_address_per_day", "20", "Codes asked for from one client address per 24 hours.") {
            $0.codesPerAddressPerDay = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.codesPerAddressPerDay)
        },
        text("codes_per_country_per_hour", "500", "Codes texted to the numbers of one country per hour.") {
            $0.codesPerCountryPerHour = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.codesPerCountryPerHour)
        },
        text("codes_per_area_code_per_hour", "100", "Codes texted to the numbers of one +1 area code per hour.") {
            $0.codesPerAreaCodePerHour = try integer($1, in: 1...1_000_000)
        } current: {
            String($0.codesPerAreaCodePerHour)
        },
        text("codes_per_hour", "1000", "Codes texted per hour in all (the global cap).") {
            $0.codesPerHour = try integer($1, in: 1...10_000_000)
        } current: {
            String($0.codesPerHour)
        },
        text("brand_name", "Support", "Brand or program name used in texts and in the consent disclosure.") {
            try nonEmpty($1)
            $0.brandName = $1
        } current: {
            $0.brandName
        },
        text("consent_text", "(see example)", "Disclosure shown next to the consent checkbox ({{brand}}).") {
            try template($1, allowed: ["brand"])
            $0.consentText = $1
        } current: {
            $0.consentText
        },
        text("consent_texts", "", "YAML file of disclosures per program and locale (es, alerts/es, ...).") {
            guard let path = try optional($1) else {
                $0.consentTexts = [:]
                $0.consentTextsFile = nil
                return
            }
            $0.consentTexts = try disclosures(fromFile: path)
            $0.consentTextsFile = path
        } current: {
            $0.consentTextsFile
        },
        text(
            "programs", "",
            "Programs people opt in to, besides the built-in chat: a YAML or JSON list of {id, name, kind, keyword?, "
                + "daily_cap?, disclosures: {locale: text}, frequency?}."
        ) {
            $0.programs = try programCatalog($1)
        } current: {
            $0.programs.programs.dropFirst().map(\.id).joined(separator: ",")
        },
        text(
            "queues", "",
            "Queues of conversations for humans: a YAML or JSON list of {name, first_response_sla?, overflow_queue?, "
                + "members?, auto_assign?, wait_notice_after?, wait_notice_template?}; `humans` (where escalations go) is built in."
        ) {
            $0.queues = try queueCatalog($1)
        } current: {
            $0.queues.queues.map { queue in
                "\(queue.name):\(queue.firstResponseSLAMilliseconds)ms>\(queue.overflowQueue ?? "")"
                    + "[\(queue.members.joined(separator: " "))]\(queue.autoAssign ? " auto" : "")"
            }.joined(separator: ",")
        },
        text(
            "intents", "",
            "Intents merged over the shipped ones by name: a YAML or JSON list of {name, phrases?: {locale: "
                + "[phrases]}, action?: none | {queue: NAME} | {escalate: QUEUE} | {template: NAME}}."
        ) {
            $0.intents = try intentCatalog($1)
        } current: {
            let acting = $0.intents.acting(with: $0.queues)
            return $0.intents.intents.map { intent in
                let idle = acting.intent(named: intent.name)?.action != intent.action ? " (idle: no such queue)" : ""
                return "\(intent.name):\(intent.action)\(idle)["
                    + intent.phrases.keys.sorted().map { "\($0)=\(intent.phrases[$0]!.joined(separator: "|"))" }
                    .joined(separator: " ") + "]"
            }.joined(separator: ",")
        },
        text("sms_confirmation_template", "(see example)", "First text after verification ({{brand}}).") {
            try template($1, allowed: ["brand"])
            $0.confirmationTemplate = $1
        } current: {
            $0.confirmationTemplate
        },
        text(
            "sms_summary_template", "(see example)",
            "Where the chat stands, texted after the confirmation ({{brand}}, {{question}}, {{answer}}, {{link}})."
        ) {
            try template($1, allowed: ["brand", "question", "answer", "link"])
            $0.summaryTemplate = $1
        } current: {
            $0.summaryTemplate
        },
        text("sms_countries", "the default region", "Comma-separated regions whose numbers may be texted.") {
            let regions = list($1).map { $0.uppercased() }
            for region in regions where !PhoneNumber.isKnownRegion(region) {
                throw SettingProblem("\(region) is not a region code such as US or GB")
            }
            $0.smsCountries = regions
        } current: {
            $0.smsCountries.isEmpty ? $0.defaultRegion : $0.smsCountries.joined(separator: ",")
        },
        text("sms_smart_encoding", "false", "Replace curly quotes, dashes and the like with GSM-7 look-alikes.") {
            $0.smsSmartEncoding = try bool($1)
        } current: {
            String($0.smsSmartEncoding)
        },
        text("sms_max_segments", "10", "Most SMS segments one outbound text may need (422 beyond).") {
            $0.smsMaxSegments = try integer($1, in: 1...20)
        } current: {
            String($0.smsMaxSegments)
        },
        text("sms_per_second", "0", "Sends per second from our number; 0 leaves pacing to the gateway.") {
            $0.smsPerSecond = try integer($1, in: 0...1000)
        } current: {
            String($0.smsPerSecond)
        },
        text("sms_max_in_flight", "10", "Requests in flight to the SMS gateway at most.") {
            $0.smsMaxInFlight = try integer($1, in: 1...1000)
        } current: {
            String($0.smsMaxInFlight)
        },
        text("outbox_max_attempts", "8", "Delivery attempts of an SMS or event webhook before it is dead-lettered.") {
            $0.outboxMaxAttempts = try integer($1, in: 1...100)
        } current: {
            String($0.outboxMaxAttempts)
        },
        text(
            "message_retention_days", "0",
            "Days message bodies are kept (0: for ever); consents and suppressions are always kept."
        ) {
            $0.messageRetentionDays = try integer($1, in: 0...36_500)
        } current: {
            String($0.messageRetentionDays)
        },
        text("event_stream_heartbeat", "15s", "Idle live-event streams get a comment line this often.") {
            $0.eventStreamHeartbeat = try duration($1)
        } current: {
            seconds($0.eventStreamHeartbeat)
        },
        secret("metrics_token", "Bearer token /metrics requires; unset, it answers direct loopback clients only.") {
            guard let token = try optional($1) else {
                $0.metricsToken = nil
                return
            }
            guard token.count >= 16, !token.contains(where: { $0 == "," || $0.isWhitespace }) else {
                throw SettingProblem("expected one token of at least 16 characters, without commas or spaces")
            }
            $0.metricsToken = token
        } current: {
            $0.metricsToken
        },
    ]

    private static func text(
        _ key: String, _ defaultDescription: String, _ help: String,
        apply: @escaping @Sendable (inout Configuration, String) throws -> Void,
        current: @escaping @Sendable (Configuration) -> String?
    ) -> ConfigurationSetting {
        ConfigurationSetting(
            key: key, defaultDescription: defaultDescription, help: help, isSecret: false, apply: apply,
            current: current)
    }

    private static func secret(
        _ key: String, _ help: String,
        apply: @escaping @Sendable (inout Configuration, String) throws -> Void,
        current: @escaping @Sendable (Configuration) -> String?
    ) -> ConfigurationSetting {
        ConfigurationSetting(
            key: key, defaultDescription: "", help: help, isSecret: true, apply: apply, current: current)
    }
}

// MARK: - Value parsers shared by the settings

private func nonEmpty(_ text: String) throws(SettingProblem) {
    if text.isEmpty { throw SettingProblem("must not be empty") }
}

private func optional(_ text: String) throws(SettingProblem) -> String? {
    text.isEmpty ? nil : text
}

private func list(_ text: String) -> [String] {
    text.split(separator: ",").map { String($0.trimmingCharacters(in: " \t")) }.filter { !$0.isEmpty }
}

/// A comma-separated list of bearer keys, each long enough not to be guessed.
private func bearerKeys(_ text: String, kind: String) throws(SettingProblem) -> [String] {
    let keys = list(text)
    if keys.contains(where: { $0.count < 16 }) {
        throw SettingProblem("every \(kind) key must be at least 16 characters long")
    }
    return keys
}

private func bool(_ text: String) throws(SettingProblem) -> Bool {
    switch text.lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: throw SettingProblem("expected true or false")
    }
}

private func integer(_ text: String, in range: ClosedRange<Int>) throws(SettingProblem) -> Int {
    guard let value = Int(text), range.contains(value) else {
        throw SettingProblem("expected a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
}

private func oneOf<Choice: RawRepresentable & CaseIterable>(_ text: String) throws(SettingProblem) -> Choice
where Choice.RawValue == String {
    guard let value = Choice(rawValue: text.lowercased()) else {
        throw SettingProblem("expected one of " + Choice.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return value
}

/// Reads a `key: disclosure` YAML mapping; every text may use `{{brand}}` only.
private func disclosures(fromFile path: String) throws(SettingProblem) -> [String: String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw SettingProblem("cannot read \(path)")
    }
    guard let node = try? Yams.compose(yaml: text), case .mapping(let mapping) = node else {
        throw SettingProblem("\(path) must be a YAML mapping of locale or program/locale: text")
    }
    var texts: [String: String] = [:]
    for (key, value) in mapping {
        guard let name = key.string, let disclosure = value.string, !disclosure.isEmpty else {
            throw SettingProblem("\(path): every entry must be key: text")
        }
        try template(disclosure, allowed: ["brand"])
        texts[name.lowercased()] = disclosure
    }
    return texts
}

private let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

/// Checks that every `{{placeholder}}` in a template is one of `allowed`.
private func template(_ text: String, allowed: Set<String>) throws(SettingProblem) {
    let body: TemplateBody
    do {
        body = try TemplateBody(parsing: text)
    } catch {
        throw SettingProblem(error.message)
    }
    for name in body.placeholders where !allowed.contains(name) {
        throw SettingProblem(
            "unknown placeholder {{\(name)}}; use " + allowed.sorted().map { "{{\($0)}}" }.joined(separator: ", "))
    }
}

/// The program catalog of a `programs:` list (YAML or JSON text; empty: only `chat`).
private func programCatalog(_ text: String) throws(SettingProblem) -> ProgramCatalog {
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return ProgramCatalog() }
    let programs: [Program]
    do {
        programs = try YAMLDecoder().decode([Program].self, from: text)
    } catch {
        throw SettingProblem("expected a list of programs {id, name, kind, disclosures, ...}: \(error)")
    }
    do {
        return try ProgramCatalog(programs)
    } catch {
        throw SettingProblem("\(error.field.map { $0 + ": " } ?? "")\(error.message)")
    }
}

/// The queues of a `queues:` list (YAML or JSON text; empty: only the built-in `humans`).
private func queueCatalog(_ text: String) throws(SettingProblem) -> QueueCatalog {
    struct Entry: Decodable {
        var name: String
        var firstResponseSLA: String?
        var overflowQueue: String?
        var members: [String]?
        var autoAssign: Bool?
        var waitNoticeAfter: String?
        var waitNoticeTemplate: String?

        enum CodingKeys: String, CodingKey {
            case name, members
            case firstResponseSLA = "first_response_sla"
            case overflowQueue = "overflow_queue"
            case autoAssign = "auto_assign"
            case waitNoticeAfter = "wait_notice_after"
            case waitNoticeTemplate = "wait_notice_template"
        }
    }
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        return QueueCatalog.builtIn
    }
    let entries: [Entry]
    do {
        entries = try YAMLDecoder().decode([Entry].self, from: text)
    } catch {
        throw SettingProblem(
            "expected a list of queues {name, first_response_sla?, overflow_queue?, members?, auto_assign?, wait_notice_after?, wait_notice_template?}: \(error)"
        )
    }
    var queues: [Queue] = []
    for entry in entries {
        let milliseconds = { (text: String) throws(SettingProblem) -> Int64 in
            let duration = try duration(text)
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        let sla = try entry.firstResponseSLA.map(milliseconds)
        let waitNoticeAfter = try entry.waitNoticeAfter.map(milliseconds)
        queues.append(
            Queue(
                name: entry.name, firstResponseSLAMilliseconds: sla ?? QueueCatalog.defaultSLAMilliseconds,
                overflowQueue: entry.overflowQueue, members: entry.members ?? [], autoAssign: entry.autoAssign ?? false,
                waitNoticeAfterMilliseconds: waitNoticeAfter, waitNoticeTemplate: entry.waitNoticeTemplate)
        )
    }
    do {
        return try QueueCatalog(queues)
    } catch {
        throw SettingProblem(error.message)
    }
}

/// The intent catalog of an `intents:` list (YAML or JSON text; empty: the shipped defaults).
private func intentCatalog(_ text: String) throws(SettingProblem) -> IntentCatalog {
    struct Entry: Decodable {
        var name: String
        var phrases: [String: [String]]?
        var action: Action?
    }
    /// `none`, or a mapping with exactly one of `queue`, `escalate`, `template`.
    struct Action: Decodable {
        var action: IntentAction

        init(from decoder: any Decoder) throws {
            if let word = try? decoder.singleValueContainer().decode(String.self) {
                guard word == "none" else { throw SettingProblem("unknown action \"\(word)\"; \(Self.expected)") }
                action = .none
                return
            }
            let container = try decoder.container(keyedBy: AnyKey.self)
            guard container.allKeys.count == 1, let key = container.allKeys.first else {
                throw SettingProblem("an action has exactly one kind; \(Self.expected)")
            }
            let name = try container.decode(String.self, forKey: key)
            switch key.stringValue {
            case "queue": action = .queue(name)
            case "escalate": action = .escalate(name)
            case "template": action = .template(name)
            default: throw SettingProblem("unknown action \"\(key.stringValue)\"; \(Self.expected)")
            }
        }

        static let expected = "expected none, {queue: NAME}, {escalate: QUEUE} or {template: NAME}"
    }
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .defaults }
    let entries: [Entry]
    do {
        entries = try YAMLDecoder().decode([Entry].self, from: text)
    } catch DecodingError.dataCorrupted(let context) where context.underlyingError is SettingProblem {
        // An action that is not one (`Action`): its own sentence, not the decoder's.
        throw context.underlyingError as! SettingProblem
    } catch {
        throw SettingProblem("expected a list of intents {name, phrases?: {locale: [..]}, action?}: \(error)")
    }
    do {
        return try IntentCatalog(
            merging: entries.map { IntentEntry(name: $0.name, phrases: $0.phrases, action: $0.action?.action) })
    } catch {
        throw SettingProblem(error.message)
    }
}

/// Parses `10`, `10s`, `500ms`, `2m`, `1h` into a duration of at least 1 ms and at most a day.
private func duration(_ text: String) throws(SettingProblem) -> Duration {
    let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)]
    for (suffix, millis) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count)
        if let value = Int(number), value >= 0 {
            let total = value.multipliedReportingOverflow(by: millis)
            if !total.overflow, total.partialValue >= 1, total.partialValue <= 86_400_000 {
                return .milliseconds(total.partialValue)
            }
        }
    }
    throw SettingProblem("expected a duration such as 10s, 500ms or 2m (at most 24h)")
}

private func seconds(_ duration: Duration) -> String {
    let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    return millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis)ms"
}

/// An absolute http(s) URL without a trailing slash, query or fragment.
private func httpURL(_ text: String) throws(SettingProblem) -> String {
    var url = text
    while url.hasSuffix("/") { url.removeLast() }
    let lower = url.lowercased()
    let scheme = lower.hasPrefix("https://") ? "https://" : lower.hasPrefix("http://") ? "http://" : nil
    guard let scheme, url.count > scheme.count, !url.contains(where: { $0 == "?" || $0 == "#" || $0 == " " })
    else { throw SettingProblem("expected an absolute http:// or https:// URL without query or fragment") }
    return url
}

/// `scheme://host[:port]`, lowercased, as browsers send in `Origin`.
private func origin(_ text: String) throws(SettingProblem) -> String {
    let url = try httpURL(text)
    let afterScheme = url.firstRange(of: "://")!.upperBound
    guard !url[afterScheme...].contains("/") else {
        throw SettingProblem("an origin is scheme://host[:port], without a path")
    }
    return url.lowercased()
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> SubSequence {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
