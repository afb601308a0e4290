import HTTPServer
import Synchronization

/// Places for live-event streams: at most `maxTotal` open at once, so a stream never takes the
/// connections ordinary requests need, and at most `maxPerSession` per widget session.
///
/// A stream holds a `Permit` for as long as it lives; the permit gives its place back when the
/// stream ends, or when a response that never streamed (HEAD, a client gone first) is dropped.
package final class StreamLimiter: Sendable {
    private struct Counts {
        var total = 0
        var bySession: [String: Int] = [:]
    }

    let maxTotal: Int
    let maxPerSession: Int
    private let counts = Mutex(Counts())

    package init(maxTotal: Int, maxPerSession: Int) {
        self.maxTotal = maxTotal
        self.maxPerSession = maxPerSession
    }

    /// A place for one stream of `session` (nil: an agent's stream, counted in the total only);
    /// throws 429 when the session holds its maximum, 503 when every place is taken. (Untyped:
    /// `throws(HTTPError)` inlined into the async `/v1/events` route crashes the release compiler.)
    func acquire(session: String?) throws -> Permit {
        let refusal = counts.withLock { counts -> HTTPError? in
            if let session, counts.bySession[session, default: 0] >= maxPerSession {
                return HTTPError(
                    .tooManyRequests, code: "too_many_streams",
                    message: "This session already has \(maxPerSession) open event streams; close one first.",
                    headers: [("Retry-After", "5")])
            }
            if counts.total >= maxTotal {
                return HTTPError(
                    .serviceUnavailable, code: "streams_at_capacity",
                    message: "The server holds as many event streams as it may; retry shortly.",
                    headers: [("Retry-After", "5")])
            }
            counts.total += 1
            if let session { counts.bySession[session, default: 0] += 1 }
            return nil
        }
        if let refusal { throw refusal }
        return Permit(limiter: self, session: session)
    }

    fileprivate func release(session: String?) {
        counts.withLock { counts in
            counts.total -= 1
            guard let session else { return }
            let held = counts.bySession[session, default: 1] - 1
            counts.bySession[session] = held > 0 ? held : nil
        }
    }

    /// One stream's place; `release` (or the permit's end) gives it back, once.
    package final class Permit: Sendable {
        private let limiter: StreamLimiter
        private let session: String?
        private let released = Atomic<Bool>(false)

        fileprivate init(limiter: StreamLimiter, session: String?) {
            self.limiter = limiter
            self.session = session
        }

        func release() {
            guard !released.exchange(true, ordering: .relaxed) else { return }
            limiter.release(session: session)
        }

        deinit { release() }
    }
}
