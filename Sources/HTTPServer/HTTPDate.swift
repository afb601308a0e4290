import Glibc

/// The `Date` header value (IMF-fixdate).
enum HTTPDate {
    /// Now, rendered at most once per second. Not locked: each connection queue keeps its own
    /// (`QueueScratch`), so the queues' threads never wait on one another for it.
    struct Cache {
        private var second = -1
        private var bytes: [UInt8] = []

        /// Now, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
        mutating func now() -> [UInt8] {
            let now = time(nil)
            if now != second {
                second = now
                bytes = Array(HTTPDate.format(now).utf8)
            }
            return bytes
        }
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):"
            + "\(twoDigits(parts.tm_sec)) GMT"
    }
}
