public import HTTPValues
import HandoffDomain
import Synchronization

/// Request counters and latency histograms per route, rendered in the Prometheus text format.
public final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private let counts = Mutex([Key: Int]())
    private let latencies = LatencyHistogram(
        name: "handoff_http_request_duration_seconds", help: "Time from a complete request to its response.",
        label: "route")

    public init() {}

    /// The methods labelled by name (RFC 9110's); any other is counted as `other`, so made-up
    /// methods cannot grow the exposition.
    static let labelledMethods: Set<HTTPMethod> = [
        .get, .head, .post, .put, .patch, .delete, .options, HTTPMethod(rawValue: "CONNECT"),
        HTTPMethod(rawValue: "TRACE"),
    ]

    /// Records one finished request.
    public func record(method: HTTPMethod, route: String, status: Int, seconds: Double) {
        let label = Self.labelledMethods.contains(method) ? method.rawValue : "other"
        counts.withLock { $0[Key(method: label, route: route, status: status), default: 0] += 1 }
        latencies.observe(route, seconds: seconds)
    }

    /// The Prometheus exposition text; `gauges` adds point-in-time values such as open connections.
    public func render(gauges: [(name: String, help: String, value: Double)] = []) -> String {
        var text = "# HELP handoff_http_requests_total HTTP requests answered, by method, route and status.\n"
        text += "# TYPE handoff_http_requests_total counter\n"
        let snapshot = counts.withLock { $0 }.sorted {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }
        for (key, value) in snapshot {
            text +=
                "handoff_http_requests_total{method=\"\(key.method)\",route=\"\(LatencyHistogram.escape(key.route))\","
            text += "status=\"\(key.status)\"} \(value)\n"
        }
        text += latencies.render()
        for gauge in gauges {
            text += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
        }
        return text
    }
}
