package import DatabaseDriver
package import HTTPServer
import HTTPValues
import HandoffCore
package import HandoffDomain
package import Storage

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`: what operators and load balancers probe.
///
/// `/metrics` requires `Authorization: Bearer <metrics_token>` when a token is configured;
/// without one it answers only clients on loopback that did not come through a proxy.
package struct OperationsRoutes {
    let database: any Database
    let migrator: Migrator
    let metrics: HTTPMetrics
    /// The HTTP server, once started; readiness fails while it drains.
    let isDraining: @Sendable () -> Bool
    let openConnections: @Sendable () -> Int
    let openEventStreams: @Sendable () -> Int
    let counters: ServiceCounters
    let handoff: HandoffFlow
    /// Checks the metrics token; nil when none is configured.
    let metricsAuthenticator: APIKeyAuthenticator?

    package init(
        database: any Database, migrator: Migrator, metrics: HTTPMetrics, isDraining: @escaping @Sendable () -> Bool,
        openConnections: @escaping @Sendable () -> Int, openEventStreams: @escaping @Sendable () -> Int,
        counters: ServiceCounters, handoff: HandoffFlow, metricsAuthenticator: APIKeyAuthenticator?
    ) {
        self.database = database
        self.migrator = migrator
        self.metrics = metrics
        self.isDraining = isDraining
        self.openConnections = openConnections
        self.openEventStreams = openEventStreams
        self.counters = counters
        self.handoff = handoff
        self.metricsAuthenticator = metricsAuthenticator
    }

    package func register(in router: inout Router) {
        // Liveness never changes its answer: it is built once, not per probe.
        let healthy = Self.health("ok", .ok)
        router.get("/healthz") { _ in healthy }
        router.get("/readyz") { [database, migrator, isDraining] _ in
            if isDraining() { return Self.health("draining", .serviceUnavailable) }
            let migrated = (try? await database.read { migrator.isUpToDate($0) }) ?? false
            guard migrated else { return Self.health("not_ready", .serviceUnavailable, database: "not migrated") }
            return Self.health("ready", .ok)
        }
        router.get("/metrics") {
            [metrics, openConnections, openEventStreams, counters, database, handoff, metricsAuthenticator] request in
            if let metricsAuthenticator {
                try await metricsAuthenticator.authenticate(request)
            } else {
                try Self.requireDirectLoopback(request)
            }
            let gauges = [
                (
                    name: "handoff_http_connections_open", help: "Open HTTP connections.",
                    value: Double(openConnections())
                ),
                (
                    name: "handoff_event_streams_open", help: "Open live-event (SSE) streams.",
                    value: Double(openEventStreams())
                ),
            ]
            let outbox = try await Self.outboxGauges(database)
            let caps = try await handoff.capGauges()
            return HTTPResponse(
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: Array((metrics.render(gauges: gauges) + counters.render() + outbox + caps).utf8))
        }
        if let openAPI = StaticAsset(path: "openapi.yaml", contentType: "application/yaml; charset=utf-8") {
            router.get("/openapi.yaml") { _ in openAPI.response }
        }
    }

    /// Without a token, `/metrics` is for a scraper on this host: the peer must be loopback and the
    /// request must not carry a proxy's forwarding header (a local reverse proxy connects from
    /// loopback on behalf of anyone).
    private static func requireDirectLoopback(_ request: HTTPRequest) throws(HTTPError) {
        let address = request.remoteAddress
        let loopback = address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
        let forwarded = ["Forwarded", "X-Forwarded-For", "X-Real-IP"].contains { request.headers[$0] != nil }
        guard loopback, !forwarded else {
            throw HTTPError(
                .forbidden, code: "metrics_forbidden",
                message: "Without HANDOFF_METRICS_TOKEN, /metrics answers only clients on this host.")
        }
    }

    /// Outbox depth, oldest pending age and dead letters by kind, read from the database at scrape time.
    private static func outboxGauges(_ database: any Database) async throws -> String {
        let now = ChatService.currentMilliseconds()
        let gauges = try await database.read { try OutboxRepository($0).gauges(kinds: OutboxKind.allCases) }
        var text = "# HELP handoff_outbox_depth Outbox rows waiting or in flight, by kind.\n"
        text += "# TYPE handoff_outbox_depth gauge\n"
        var oldest = "# HELP handoff_outbox_oldest_age_seconds Age of the oldest waiting outbox row, by kind.\n"
        oldest += "# TYPE handoff_outbox_oldest_age_seconds gauge\n"
        var dead = "# HELP handoff_outbox_dead_letters Outbox rows given up on, by kind.\n"
        dead += "# TYPE handoff_outbox_dead_letters gauge\n"
        for gauge in gauges {
            let kind = gauge.kind.rawValue
            text += "handoff_outbox_depth{kind=\"\(kind)\"} \(gauge.depth)\n"
            let age = gauge.oldestPendingAt.map { Double(max(0, now - $0)) / 1000 } ?? 0
            oldest += "handoff_outbox_oldest_age_seconds{kind=\"\(kind)\"} \(age)\n"
            dead += "handoff_outbox_dead_letters{kind=\"\(kind)\"} \(gauge.dead)\n"
        }
        return text + oldest + dead
    }

    /// `{"status": ..., "checks": {"database": ...}}`, never cached; 503s carry Retry-After.
    private static func health(_ status: String, _ code: HTTPStatus, database: String = "ok") -> HTTPResponse {
        let body = #"{"status":"\#(status)","checks":{"database":"\#(database)"}}"#
        var headers: HTTPHeaders = ["Cache-Control": "no-store"]
        if code == .serviceUnavailable { headers.add(name: "Retry-After", value: "5") }
        return HTTPResponse(
            status: code, contentType: "application/json; charset=utf-8", body: Array(body.utf8), headers: headers)
    }
}
