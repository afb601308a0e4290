import DatabaseDriver
import Gateway
import HTTPServer
import HandoffCore
import HandoffDomain
import HandoffHTTP
public import Lifecycle
public import Logging
import Postgres
import Storage
import Synchronization

/// The running service built from a `Configuration`. Creating it does nothing: `run` takes the
/// database lock, migrates, wires the parts together (`Parts`), starts the long-running ones in
/// order (simulator, outbox dispatcher, answer deadline, retention purge, HTTP server) and, when
/// its shutdown fires or one of them fails, stops them in reverse order: the server drains first.
public final class HandoffApplication: Sendable {
    public let configuration: Configuration
    private let logger: Logger
    /// The wired parts, once `run` built them (kept when it ended, for the tests' reads).
    private let parts = Mutex<Parts?>(nil)
    /// The run `start` began, which `shutdown` ends.
    private let background = Mutex<BackgroundRun?>(nil)

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The whole life of the service: returns once `shutdown` fired and everything stopped;
    /// throws when it cannot start (the database is in use, a migration or the address fails)
    /// or a part failed.
    public func run(until shutdown: Trigger) async throws {
        try await run(until: shutdown, whenStarted: {})
    }

    private func run(until shutdown: Trigger, whenStarted: @escaping @Sendable () -> Void) async throws {
        let setup = try DatabaseSetup.open(
            configuration, daemon: true, writeContext: RequestOrigin.capture, logger: logger)
        do {
            try await run(setup, until: shutdown, whenStarted: whenStarted)
            await setup.close()
        } catch {
            await setup.close()
            throw error
        }
    }

    private func run(
        _ setup: DatabaseSetup, until shutdown: Trigger, whenStarted: @escaping @Sendable () -> Void
    ) async throws {
        logger.info(
            "database",
            metadata: ["database": "\(configuration.databaseBackend)", "node_id": "\(configuration.nodeID)"])
        let logger = logger
        let migrate: @Sendable () async throws -> Void = {
            for name in try await setup.migrate() {
                logger.info("migration applied", metadata: ["migration": "\(name)"])
            }
        }
        var databaseIsDown = false
        do {
            try await migrate()
        } catch let error as StorageError where error.kind == .unavailable && setup.pool != nil {
            // Other nodes may be serving: this one answers 503 until PostgreSQL is back.
            logger.warning(
                "database unavailable at start; serving 503 until it is back", metadata: ["error": "\(error)"])
            databaseIsDown = true
        }
        let parts = Parts(
            configuration: configuration, database: setup.database, pool: setup.pool, migrator: setup.migrator,
            logger: logger, migrateWhenBack: databaseIsDown ? migrate : nil)
        self.parts.withLock { $0 = parts }
        defer { parts.httpClient.shutdown() }
        let configuration = configuration
        try await ServiceGroup(parts.services).run(until: shutdown) {
            logger.info(
                "listening",
                metadata: [
                    "address": "\(configuration.listen.host):\(parts.server.port)",
                    "public_url": "\(configuration.publicURL)",
                ])
            whenStarted()
        }
        logger.info("stopped")
    }

    /// Runs the service on a task of its own and returns once it listens (for tests, and programs
    /// that embed it); throws what kept it from starting.
    public func start() async throws {
        let run = try await BackgroundRun.start { shutdown, started in
            try await self.run(until: shutdown, whenStarted: started)
        }
        background.withLock { $0 = run }
    }

    /// Ends the run `start` began: stops accepting, finishes in-flight requests within the drain
    /// timeout, stops the other parts, and returns once they all stopped.
    public func shutdown() async {
        guard let run = background.withLock({ $0 }) else { return }
        do {
            try await run.stop()
        } catch {
            logger.error("stopped on a failure", metadata: ["error": "\(error)"])
        }
    }

    /// The database (tests reach it through `@testable import`); only once `run` opened it.
    var database: any Database { started.database }
    /// Outbound SMS (tests reach it through `@testable import`).
    var sms: SMSService { started.sms }
    /// The gateway in use, and the simulator when it is the simulator.
    var gatewaySetup: GatewaySetup { started.gatewaySetup }

    private var started: Parts {
        guard let parts = parts.withLock({ $0 }) else { preconditionFailure("HandoffApplication has not started") }
        return parts
    }

    /// Wakes the outbox dispatcher (after a commit that queued work).
    func outboxChanged() { started.dispatcher.wake() }

    /// Answers a request through the routes and middleware without a socket (tests reach it
    /// through `@testable import`; see `HTTPServer.respond(to:)`); only once `run` built the parts.
    func respond(to request: HTTPRequest) async -> HTTPResponse { await started.server.respond(to: request) }

    /// The bound port (the configured one, or the one picked for port 0); 0 before it listens.
    public var port: Int { parts.withLock { $0 }?.server.port ?? 0 }

    /// Settings SIGHUP applies without a restart: texts and templates, keyword and phrase sets,
    /// rate and size limits, quiet hours, API keys. Changes to any other take a restart.
    public static let reloadableSettings: Set<String> = [
        "brand_name", "consent_text", "consent_texts", "sms_confirmation_template", "sms_summary_template",
        "escalation_reply", "unknown_sender_reply", "sms_countries", "stop_words", "start_words", "help_words",
        "stop_phrases", "human_request_phrases", "high_risk_phrases", "messages_per_minute_per_session",
        "messages_per_minute_per_ip", "sessions_per_minute_per_ip", "handoffs_per_minute_per_ip",
        "codes_per_number_per_requester_per_hour", "codes_per_number_per_hour", "codes_per_session_per_hour",
        "codes_per_address_per_day", "codes_per_country_per_hour", "codes_per_area_code_per_hour", "codes_per_hour",
        "max_message_chars", "sms_smart_encoding", "sms_max_segments", "quiet_hours", "quiet_hours_by_region",
        "quiet_days", "proactive_per_day", "reply_window", "api_keys", "admin_api_keys", "queues",
        "intents", "identity_secret",
    ]

    /// Applies what can change while serving (`reloadableSettings`) from a configuration that has
    /// already been validated (to the running parts: before they run, nothing is applied).
    /// Returns the other settings that differ: they wait for a restart.
    public func reload(_ new: Configuration) -> [String] {
        parts.withLock { $0 }?.applyReloadable(new)
        return Configuration.settings.filter { setting in
            !Self.reloadableSettings.contains(setting.key) && setting.current(configuration) != setting.current(new)
        }.map(\.key)
    }

    /// Applies pending migrations to the configured database and returns the names of those applied.
    public static func migrate(_ configuration: Configuration) async throws -> [String] {
        let setup = try DatabaseSetup.open(configuration, daemon: false, sqliteReaders: 1)
        do {
            let applied = try await setup.migrate()
            await setup.close()
            return applied
        } catch {
            await setup.close()
            throw error
        }
    }

    /// The version reported in the `Server` header and by `handoff --version`.
    public static let version = "0.1.0"
}

/// The service's parts wired together over an open, migrated database. Building them does no I/O:
/// what listens or loops is in `services`, which the application's group starts.
private struct Parts: Sendable {
    let database: any Database
    let server: HTTPServer
    let dispatcher: OutboxDispatcher
    let httpClient: HTTPClient
    let gatewaySetup: GatewaySetup
    let sms: SMSService
    /// Hands a reloaded configuration's texts, keywords, limits and keys to the parts that use them.
    let applyReloadable: @Sendable (Configuration) -> Void
    /// In start order.
    let services: [any Service]

    /// `pool`: the node's connections to PostgreSQL, whose NOTIFY tells the other nodes of this
    /// one's commits. `migrateWhenBack`: PostgreSQL was down at start; the outbox dispatcher starts
    /// once this migration succeeds (see `StartsWhenDatabaseIsBack`) instead of before the server.
    init(
        configuration: Configuration, database: any Database, pool: PostgresPool?, migrator: Migrator,
        logger: Logger, migrateWhenBack: (@Sendable () async throws -> Void)?
    ) {
        self.database = database
        let metrics = HTTPMetrics()
        let counters = ServiceCounters()
        let serverBox = ServerReference()
        let notifier = pool.map { PostgresChangeNotifier(pool: $0, logger: logger) }
        let hub = EventHub(otherNodes: notifier.map { $0.announce })
        httpClient = HTTPClient(
            configuration: HTTPClient.Configuration(userAgent: "handoff/\(HandoffApplication.version)"))
        let webhooks = EventWebhooks(isEnabled: configuration.eventWebhookURL != nil)
        gatewaySetup = GatewaySetup.make(configuration, client: httpClient)
        sms = SMSService(
            database: database, events: hub, webhooks: webhooks, gateway: gatewaySetup.gateway,
            statusCallbackURL: configuration.publicURL + TwilioWebhookRoutes.statusPath,
            maxInFlight: configuration.smsMaxInFlight, perSecond: configuration.smsPerSecond,
            quietHours: Self.quietHours(configuration), counters: counters)
        var handlers: [OutboxKind: any OutboxDispatcher.Handler] = [.sms: SMSDeliveryHandler(sms: sms)]
        if let url = configuration.eventWebhookURL {
            handlers[.webhook] = EventWebhookHandler(
                url: url, secret: configuration.eventWebhookSecret, client: httpClient)
        }
        // On PostgreSQL other nodes share the database: outbox rows are claimed with this node's
        // leases, and work that runs once in the cluster runs under a lease row (`ClusterLease`).
        let sharesDatabase = configuration.databaseBackend.isPostgres
        let dispatcher = OutboxDispatcher(
            database: database, events: hub, webhooks: webhooks, handlers: handlers,
            maxAttempts: configuration.outboxMaxAttempts,
            leasing: OutboxDispatcher.Leasing(node: configuration.nodeID, sharesDatabase: sharesDatabase),
            logger: logger)
        let clusterLease = { (name: String, duration: Duration) in
            sharesDatabase
                ? ClusterLease(name: name, holder: configuration.nodeID, duration: duration, database: database) : nil
        }
        self.dispatcher = dispatcher
        let routingTexts = Self.routingTexts(configuration)
        let queues = QueueService(database: database, catalog: Reloadable(configuration.queues))
        let classifier = configuration.classifierURL.map { [httpClient] url in
            IntentClassifier(
                settings: IntentClassifier.Settings(
                    url: url, secret: configuration.classifierSecret ?? "", timeout: configuration.classifierTimeout),
                client: httpClient,
                timeline: Timeline(database: database, events: hub, webhooks: webhooks) { _ in dispatcher.wake() },
                counters: counters)
        }
        let routing = Routing(
            intents: routingTexts.intents, counters: counters, holdingText: routingTexts.holdingText,
            brand: routingTexts.brand, queues: queues.catalog, classifier: classifier)
        let answerDeadline = AnswerDeadline(
            database: database, routing: routing, events: hub, webhooks: webhooks, sla: configuration.answerSLA,
            lease: clusterLease(AnswerDeadline.leaseName, .seconds(30)), outboxChanged: { dispatcher.wake() })
        let chat = ChatService(
            database: database, events: hub, webhooks: webhooks, outboxChanged: { dispatcher.wake() },
            smsPolicy: Self.chatLimits(configuration).smsPolicy, routing: routing,
            sessionLifetimeDays: configuration.sessionLifetimeDays,
            maxMessageCharacters: configuration.maxMessageCharacters, queues: queues.catalog,
            identity: IdentityVerifier(secret: configuration.identitySecret))
        let handoff = HandoffFlow(
            database: database, events: hub, webhooks: webhooks,
            settings: Self.handoffSettings(configuration), counters: counters, routing: routing,
            outboxChanged: { dispatcher.wake() })
        let templates = TemplateService(database: database, settings: configuration.templateSettings)
        let outbound = OutboundService(
            database: database, events: hub, webhooks: webhooks, settings: Self.outboundSettings(configuration),
            outboxChanged: { dispatcher.wake() })
        let cors = CORSPolicy(
            allowedOrigins: configuration.widgetOrigins + [ConfigurationLoader.origin(of: configuration.publicURL)])
        var router = Router()
        // Without trusted proxies the client address is the peer's: that middleware would only
        // pass the request on, a level of async calls on every request for nothing.
        var middleware: [any HTTPMiddleware] = []
        if !configuration.trustedProxies.isEmpty {
            middleware.append(ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
        }
        router.middleware = middleware + [AccessLogMiddleware(logger: logger, metrics: metrics), cors]
        router.optionsHandler = { request, allowed in cors.preflight(request, allowed: allowed) }
        OperationsRoutes(
            database: database, migrator: migrator, metrics: metrics,
            isDraining: { serverBox.server?.isDraining ?? true },
            openConnections: { serverBox.server?.connectionCount ?? 0 },
            openEventStreams: { hub.subscriberCount }, counters: counters, handoff: handoff,
            metricsAuthenticator: configuration.metricsToken.map {
                APIKeyAuthenticator(keys: [$0], guessing: KeyGuessingLimit(database: database, scope: "metrics"))
            }
        ).register(in: &router)
        let limiters = (
            handoff: RateLimiter(perMinute: configuration.handoffsPerMinutePerIP),
            session: RateLimiter(perMinute: configuration.messagesPerMinutePerSession),
            address: RateLimiter(perMinute: configuration.messagesPerMinutePerIP),
            sessions: RateLimiter(perMinute: configuration.sessionsPerMinutePerIP)
        )
        let agents = AgentDirectory(database: database)
        let agentKeys = APIKeyAuthenticator(
            keys: configuration.apiKeys, guessing: KeyGuessingLimit(database: database, scope: "api"), agents: agents)
        let adminKeys = APIKeyAuthenticator(
            keys: configuration.adminAPIKeys, guessing: KeyGuessingLimit(database: database, scope: "admin"))
        let autoAssignment = AutoAssignment(chat: chat, events: hub, logger: logger)
        let presence = AgentPresence(
            database: database, node: configuration.nodeID, logger: logger, arrived: { autoAssignment.wake() })
        let eventStream = EventStream(
            database: database, hub: hub, heartbeat: configuration.eventStreamHeartbeat,
            limiter: StreamLimiter(
                maxTotal: configuration.maxEventStreams, maxPerSession: configuration.maxStreamsPerSession),
            presence: presence)
        let sessionCookie = SessionCookie(
            secure: configuration.cookieSecure, lifetimeDays: configuration.sessionLifetimeDays)
        WidgetRoutes(
            chat: chat, handoff: handoff, handoffLimiter: limiters.handoff, cookie: sessionCookie,
            sessionLimiter: limiters.session, addressLimiter: limiters.address,
            sessionCreationLimiter: limiters.sessions, eventStream: eventStream
        ).register(in: &router)
        AgentRoutes(
            chat: chat, authenticator: agentKeys, defaultRegion: configuration.defaultRegion, eventStream: eventStream
        ).register(in: &router)
        QueueRoutes(queues: queues, authenticator: agentKeys).register(in: &router)
        ProgramRoutes(handoff: handoff, authenticator: agentKeys).register(in: &router)
        ConsentRoutes(
            consents: ConsentService(
                database: database, events: hub, webhooks: webhooks, programs: { handoff.programs },
                brand: { handoff.brand }, outboxChanged: { dispatcher.wake() }),
            authenticator: agentKeys, defaultRegion: configuration.defaultRegion
        ).register(in: &router)
        TemplateRoutes(templates: templates, authenticator: agentKeys, adminAuthenticator: adminKeys).register(
            in: &router)
        OutboundRoutes(outbound: outbound, authenticator: agentKeys).register(in: &router)
        ContactRoutes(
            contacts: ContactService(database: database), authenticator: agentKeys, adminAuthenticator: adminKeys
        ).register(in: &router)
        OutcomeRoutes(
            outcomes: OutcomeService(
                database: database, events: hub, webhooks: webhooks, outboxChanged: { dispatcher.wake() }),
            authenticator: agentKeys
        ).register(in: &router)
        ReportRoutes(reports: FunnelReportService(database: database), authenticator: agentKeys).register(in: &router)
        OfferRoutes(
            chat: chat, offers: HandoffOffers(database: database, events: hub, counters: counters),
            authenticator: agentKeys, cookie: sessionCookie
        ).register(in: &router)
        AdminRoutes(
            administration: Administration(
                database: database, webhooks: webhooks, defaultRegion: configuration.defaultRegion, events: hub,
                outboxChanged: { dispatcher.wake() }),
            authenticator: adminKeys
        ).register(in: &router)
        AgentAdminRoutes(agents: agents, authenticator: adminKeys).register(in: &router)
        let inbound = InboundSMSService(
            database: database, events: hub, webhooks: webhooks, handoff: handoff, routing: routing,
            brand: configuration.brandName, program: "chat", unknownSenderReply: configuration.unknownSenderReply,
            vocabulary: configuration.keywordVocabulary, counters: counters,
            outboxChanged: { dispatcher.wake() })
        TwilioWebhookRoutes(
            logger: logger, counters: counters, gateway: gatewaySetup.gateway, sms: sms, inbound: inbound,
            publicURL: configuration.publicURL
        )
        .register(in: &router)
        // The simulator and the demo that drives it run on loopback only (`ConfigurationLoader`
        // refuses the simulator elsewhere; a configuration built in code is held to it here).
        let simulator = configuration.listen.isLoopback ? gatewaySetup.simulator : nil
        if let simulator {
            SimulatorRoutes(simulator: simulator, sender: gatewaySetup.sender).register(in: &router)
        }
        StaticAsset.registerWidget(in: &router, withDemo: simulator != nil)
        StaticAsset.registerConsole(in: &router)

        let listen = configuration.listen
        let serverConfiguration = HTTPServerConfiguration(
            host: listen.host == "localhost" ? "127.0.0.1" : listen.host, port: listen.port,
            backlog: Int32(configuration.acceptBacklog), maxConnections: configuration.maxConnections,
            maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
            // A trusted proxy carries many clients: their limits apply to the forwarded address.
            isExemptPeer: { [trustedProxies = configuration.trustedProxies] peer in
                IPAddress(parsing: peer).map(trustedProxies.contains) ?? false
            },
            parserLimits: HTTPParserLimits(maxBodyBytes: configuration.maxBodyBytes),
            headerTimeout: configuration.headerTimeout, bodyTimeout: configuration.bodyTimeout,
            bodyDeadline: configuration.bodyDeadline,
            idleTimeout: configuration.idleTimeout, writeTimeout: configuration.writeTimeout,
            serverName: "handoff/\(HandoffApplication.version)", drainTimeout: configuration.drainTimeout)
        let errorLogger = logger
        server = HTTPServer(configuration: serverConfiguration, responder: router) { error, request in
            errorLogger.error(
                "unhandled error", metadata: ["error": "\(error)", "request_id": "\(request?.requestID ?? "-")"])
        }
        serverBox.server = server
        let sms = sms
        applyReloadable = { configuration in
            handoff.reload(Self.handoffSettings(configuration))
            templates.reload(configuration.templateSettings)
            outbound.reload(Self.outboundSettings(configuration))
            routing.reload(Self.routingTexts(configuration))
            chat.reload(Self.chatLimits(configuration))
            sms.reload(quietHours: Self.quietHours(configuration))
            inbound.reload(
                InboundSMSService.Texts(
                    brand: configuration.brandName, unknownSenderReply: configuration.unknownSenderReply,
                    vocabulary: configuration.keywordVocabulary))
            limiters.handoff.setLimit(perMinute: configuration.handoffsPerMinutePerIP)
            limiters.session.setLimit(perMinute: configuration.messagesPerMinutePerSession)
            limiters.address.setLimit(perMinute: configuration.messagesPerMinutePerIP)
            limiters.sessions.setLimit(perMinute: configuration.sessionsPerMinutePerIP)
            queues.catalog.replace(with: configuration.queues)
            agentKeys.reload(keys: configuration.apiKeys)
            adminKeys.reload(keys: configuration.adminAPIKeys)
            chat.identity.reload(secret: configuration.identitySecret)
        }
        let retention =
            configuration.messageRetentionDays > 0
            ? RetentionPurge(
                database: database, days: configuration.messageRetentionDays,
                lease: clusterLease(RetentionPurge.leaseName, RetentionPurge.leaseDuration), logger: logger) : nil
        // The simulator listens before anything sends to it; the server last, once the outbox is
        // recovered, and so it is the first to stop (drained) while the loops behind it finish.
        let outbox: any Service =
            migrateWhenBack.map {
                StartsWhenDatabaseIsBack(prepare: $0, service: dispatcher, logger: logger)
            } ?? dispatcher
        let scheduler = OutboundScheduler(
            outbound: outbound, lease: clusterLease(OutboundScheduler.leaseName, .seconds(30)), logger: logger)
        let firstResponseClock = FirstResponseClock(
            database: database, queues: queues.catalog, events: hub, webhooks: webhooks,
            lease: clusterLease(FirstResponseClock.leaseName, .seconds(30)), brand: { routing.brand },
            counters: counters, outboxChanged: { dispatcher.wake() })
        let inOrder: [(any Service)?] = [
            gatewaySetup.simulator, outbox, answerDeadline, firstResponseClock, scheduler, retention, presence,
            autoAssignment,
        ]
        services =
            inOrder.compactMap { $0 }
            + Self.clusterWakeUps(
                configuration, database: database, events: hub, dispatcher: dispatcher, logger: logger) + [server]
    }

    /// On PostgreSQL: the other nodes' commits wake this one's streams and outbox, through
    /// LISTEN, and a look at the log every 900 ms for what a lost notification did not say.
    private static func clusterWakeUps(
        _ configuration: Configuration, database: any Database, events: EventHub, dispatcher: OutboxDispatcher,
        logger: Logger
    ) -> [any Service] {
        guard case .postgres(let uri) = configuration.databaseBackend else { return [] }
        let wakeUps = ClusterWakeUps(
            database: database, events: events, wakeOutbox: { dispatcher.wake() }, logger: logger)
        return [wakeUps, PostgresNotificationListener(uri: uri, received: { wakeUps.changed() }, logger: logger)]
    }

    private static func outboundSettings(_ configuration: Configuration) -> OutboundService.Settings {
        OutboundService.Settings(
            brand: configuration.brandName, programs: configuration.programs,
            defaultRegion: configuration.defaultRegion, smsPolicy: chatLimits(configuration).smsPolicy)
    }

    private static func handoffSettings(_ configuration: Configuration) -> HandoffFlow.Settings {
        HandoffFlow.Settings(
            brand: configuration.brandName, program: "chat", defaultRegion: configuration.defaultRegion,
            allowedRegions: Set(
                configuration.smsCountries.isEmpty ? [configuration.defaultRegion] : configuration.smsCountries),
            consentText: configuration.consentText, consentTexts: configuration.consentTexts,
            programs: configuration.programs,
            confirmationTemplate: configuration.confirmationTemplate, summaryTemplate: configuration.summaryTemplate,
            caps: HandoffFlow.CodeCaps(
                perNumberPerRequesterPerHour: configuration.codesPerNumberPerRequesterPerHour,
                perNumberPerHour: configuration.codesPerNumberPerHour,
                perSessionPerHour: configuration.codesPerSessionPerHour,
                perAddressPerDay: configuration.codesPerAddressPerDay,
                perCountryPerHour: configuration.codesPerCountryPerHour,
                perAreaCodePerHour: configuration.codesPerAreaCodePerHour, perHour: configuration.codesPerHour))
    }

    private static func routingTexts(_ configuration: Configuration) -> Routing.Texts {
        // A shipped action naming a queue that is not configured does nothing (check-config shows it idle).
        let intents = configuration.intents.acting(with: configuration.queues)
            .adding(configuration.humanRequestPhrases, to: "human_request")
            .adding(configuration.highRiskPhrases, to: "high_risk")
        return Routing.Texts(
            intents: intents,
            holdingText: configuration.escalationReply.replacingOccurrences(
                of: "{{brand}}", with: configuration.brandName),
            brand: configuration.brandName)
    }

    private static func chatLimits(_ configuration: Configuration) -> ChatService.Limits {
        ChatService.Limits(
            smsPolicy: SMSPolicy(
                smartEncoding: configuration.smsSmartEncoding, maxSegments: configuration.smsMaxSegments),
            maxMessageCharacters: configuration.maxMessageCharacters)
    }

    private static func quietHours(_ configuration: Configuration) -> QuietHoursPolicy {
        QuietHoursPolicy(
            window: configuration.quietHours,
            replyWindowMilliseconds: configuration.replyWindow.components.seconds * 1000,
            windowsByRegion: configuration.quietHoursByRegion, quietDays: configuration.quietDays,
            proactivePerDay: configuration.proactivePerDay)
    }
}

/// Lets routes built before the server exists ask it about draining. Weak: the server holds
/// those routes, and a strong reference back would keep the server, and through its routes the
/// database and every part, alive after the application is gone.
// @unchecked Sendable: `server` is set once during init, before any request can arrive.
private final class ServerReference: @unchecked Sendable {
    weak var server: HTTPServer?
}

extension Configuration {
    /// What the template checks read from the configuration (the service's and `handoff
    /// templates import`'s).
    var templateSettings: TemplateService.Settings {
        TemplateService.Settings(
            brand: brandName, programs: programs, vocabulary: keywordVocabulary, smartEncoding: smsSmartEncoding,
            maxSegments: smsMaxSegments)
    }
}
