import HTTPServer
import Synchronization

/// Token buckets per key (a session id, an IP address): `limit` events per minute, in bursts of
/// at most `limit`. Past it: 429 with `Retry-After`.
package final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
    }

    private let limit: Atomic<Int>
    private var perMinute: Double { Double(limit.load(ordering: .relaxed)) }
    private let buckets = Mutex([String: Bucket]())
    /// Buckets kept before full (idle) ones are swept out.
    private static let sweepThreshold = 10_000

    package init(perMinute: Int) { limit = Atomic(perMinute) }

    /// Changes the limit (SIGHUP); buckets refill toward the new one.
    package func setLimit(perMinute: Int) { limit.store(perMinute, ordering: .relaxed) }

    /// Takes one token for `key`, or throws 429 saying when the next one is available.
    func take(_ key: String, now: ContinuousClock.Instant = .now) throws(HTTPError) {
        let perMinute = perMinute
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count > Self.sweepThreshold {
                buckets = buckets.filter { Self.refilled($0.value, now: now, perMinute: perMinute).tokens < perMinute }
            }
            var bucket = Self.refilled(
                buckets[key] ?? Bucket(tokens: perMinute, updatedAt: now), now: now, perMinute: perMinute)
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) * 60 / perMinute }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            throw HTTPError(
                .tooManyRequests, code: "rate_limited", message: "Too many requests; wait a moment.",
                headers: [("Retry-After", String(max(1, Int(wait.rounded(.up)))))])
        }
    }

    private static func refilled(_ bucket: Bucket, now: ContinuousClock.Instant, perMinute: Double) -> Bucket {
        let elapsed = now - bucket.updatedAt
        let seconds = elapsed.inSeconds
        return Bucket(tokens: min(perMinute, bucket.tokens + seconds * perMinute / 60), updatedAt: now)
    }
}
