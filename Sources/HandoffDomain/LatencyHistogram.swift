import Synchronization

/// A Prometheus histogram of durations with one label (route, result, ...): cumulative buckets
/// (by default from a millisecond to five seconds), a sum and a count per label value.
package final class LatencyHistogram: Sendable {
    private struct Series {
        /// Observations per bucket, not cumulative.
        var buckets: [Int]
        var count = 0
        var sum = 0.0

        mutating func add(_ seconds: Double, in bucket: Int?) {
            if let bucket { buckets[bucket] += 1 }
            count += 1
            sum += seconds
        }
    }

    /// Upper bounds of the buckets of request and gateway latencies, in seconds.
    static let requestBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    let name: String
    let help: String
    let label: String
    /// Upper bounds of the buckets, in seconds, ascending.
    let bucketBounds: [Double]
    private let series = Mutex([String: Series]())

    package init(name: String, help: String, label: String, bucketBounds: [Double] = LatencyHistogram.requestBounds) {
        self.name = name
        self.help = help
        self.label = label
        self.bucketBounds = bucketBounds
    }

    /// Records one duration under `value` of the label.
    package func observe(_ value: String, seconds: Double) {
        // Only the first bucket that holds the value is counted here (`render` sums them up), and
        // the series is changed in place: no copy of its buckets per observation.
        let first = bucketBounds.firstIndex { seconds <= $0 }
        series.withLock { all in
            all[value, default: Series(buckets: Array(repeating: 0, count: bucketBounds.count))].add(seconds, in: first)
        }
    }

    /// The exposition text: HELP, TYPE and every series, sorted by label value.
    package func render() -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (value, entry) in series.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let labels = "\(label)=\"\(Self.escape(value))\""
            var cumulative = 0
            for (index, bound) in bucketBounds.enumerated() {
                cumulative += entry.buckets[index]
                text += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
            text += "\(name)_sum{\(labels)} \(entry.sum)\n"
            text += "\(name)_count{\(labels)} \(entry.count)\n"
        }
        return text
    }

    /// Escapes a label value for the text format.
    package static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    package var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
