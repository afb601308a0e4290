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
        router.get("/healthz") { _ in Self.text("ok\n") }
        router.get("/readyz") { [database, migrator, isDraining] _ in
            if isDraining() { return Self.unavailable("draining", "The server is shutting down.") }
            let migrated = (try? await database.read { migrator.isUpToDate($0) }) ?? false
            guard migrated else { return Self.unavailable("database_not_ready", "The database is not migrated.") }
            return Self.text("ready\n")
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

    private static func text(_ body: String) -> HTTPResponse {
        HTTPResponse(
            contentType: "text/plain; charset=utf-8", body: Array(body.utf8), headers: ["Cache-Control": "no-store"])
    }

    private static func unavailable(_ code: String, _ message: String) -> HTTPResponse {
        HTTPError(.serviceUnavailable, code: code, message: message, headers: [("Retry-After", "5")]).response
    }
}
