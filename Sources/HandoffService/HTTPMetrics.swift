public import HTTPServer
import Synchronization

/// Request counters and latency histograms per route, rendered in the Prometheus text format.
public final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Histogram {
        var buckets: [Int]
        var count = 0
        var sum = 0.0
    }

    /// Upper bounds of the latency buckets, in seconds.
    static let bucketBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private let counts = Mutex([Key: Int]())
    private let latencies = Mutex([String: Histogram]())

    public init() {}

    /// Records one finished request.
    public func record(method: HTTPMethod, route: String, status: Int, seconds: Double) {
        counts.withLock { $0[Key(method: method.rawValue, route: route, status: status), default: 0] += 1 }
        latencies.withLock { histograms in
            var histogram =
                histograms[route] ?? Histogram(buckets: Array(repeating: 0, count: Self.bucketBounds.count))
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound {
                histogram.buckets[index] += 1
            }
            histogram.count += 1
            histogram.sum += seconds
            histograms[route] = histogram
        }
    }

    /// The Prometheus exposition text; `gauges` adds point-in-time values such as open connections.
    public func render(gauges: [(name: String, help: String, value: Double)] = []) -> String {
        var text = "# HELP handoff_http_requests_total HTTP requests answered, by method, route and status.\n"
        text += "# TYPE handoff_http_requests_total counter\n"
        let snapshot = counts.withLock { $0 }.sorted {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }
        for (key, value) in snapshot {
            text += "handoff_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escape(key.route))\","
            text += "status=\"\(key.status)\"} \(value)\n"
        }
        text += "# HELP handoff_http_request_duration_seconds Time from a complete request to its response.\n"
        text += "# TYPE handoff_http_request_duration_seconds histogram\n"
        for (route, histogram) in latencies.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(Self.escape(route))\""
            for (index, bound) in Self.bucketBounds.enumerated() {
                text += "handoff_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} "
                text += "\(histogram.buckets[index])\n"
            }
            text += "handoff_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            text += "handoff_http_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            text += "handoff_http_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        for gauge in gauges {
            text += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
        }
        return text
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
