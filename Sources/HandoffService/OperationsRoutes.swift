import HTTPServer
import Storage

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`: what operators and load balancers probe.
struct OperationsRoutes {
    let database: Database
    let migrator: Migrator
    let metrics: HTTPMetrics
    /// The HTTP server, once started; readiness fails while it drains.
    let isDraining: @Sendable () -> Bool
    let openConnections: @Sendable () -> Int
    let openEventStreams: @Sendable () -> Int

    func register(in router: inout Router) {
        router.get("/healthz") { _ in Self.health("ok", .ok) }
        router.get("/readyz") { [database, migrator, isDraining] _ in
            if isDraining() { return Self.health("draining", .serviceUnavailable) }
            let migrated = (try? await database.read { migrator.isUpToDate($0) }) ?? false
            guard migrated else { return Self.health("not_ready", .serviceUnavailable, database: "not migrated") }
            return Self.health("ready", .ok)
        }
        router.get("/metrics") { [metrics, openConnections, openEventStreams] _ in
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
            return HTTPResponse(
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: Array(metrics.render(gauges: gauges).utf8))
        }
        if let openAPI = StaticAsset(path: "openapi.yaml", contentType: "application/yaml; charset=utf-8") {
            router.get("/openapi.yaml") { _ in openAPI.response }
        }
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
