import DatabaseDriver
import Foundation
import Storage

/// A program's daily cap (API.md: proactive texts "per number per local day"): the texts of the
/// program due on the recipient's local calendar day. The day is the recipient's as quiet hours
/// read it (the zone the widget reported, else the number's); when the number spans several
/// zones, the cap holds in each of them (the strictest reading), and with no zone at all, in UTC.
enum DailyCap {
    /// The local days that contain `instant` in each of `zones` (UTC when there are none), as
    /// Unix ms ranges; a day is 23 or 25 hours long when the clocks change.
    static func days(containing instant: Int64, zones: [TimeZone]) -> [Range<Int64>] {
        let date = Date(timeIntervalSince1970: Double(instant) / 1000)
        return (zones.isEmpty ? [TimeZone(identifier: "UTC")!] : zones).map { zone in
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let start = calendar.startOfDay(for: date)
            let end = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
            return Int64(start.timeIntervalSince1970 * 1000)..<Int64(end.timeIntervalSince1970 * 1000)
        }
    }

    /// Nil when one more text of `program` to `phone` due at `sendAt` stays within `cap`; else
    /// when the cap frees again (Unix ms): the end of the latest local day in which it is reached.
    static func reached(
        _ cap: Int, phone: String, program: String, sendAt: Int64, zones: [TimeZone], connection: any Connection
    ) throws -> Int64? {
        let days = days(containing: sendAt, zones: zones)
        guard let earliest = days.map(\.lowerBound).min() else { return nil }
        let times = try OutboundRepository(connection).sendTimes(to: phone, program: program, since: earliest)
        let full = days.filter { day in times.count { day.contains($0) } >= cap }
        return full.map(\.upperBound).max()
    }

    /// Nil when one more text due at `sendAt` keeps every 24 hours that contain it within `limit`
    /// texts, counting the others due at `times`; else the latest end of such a full 24 hours
    /// (Unix ms), when it fits at the earliest.
    static func rollingReached(_ limit: Int, times: [Int64], sendAt: Int64) -> Int64? {
        let day: Int64 = 86_400_000
        let near = times.filter { $0 > sendAt - day && $0 < sendAt + day }
        // The fullest 24 hours holding `sendAt` start at it or at an earlier text.
        let starts = near.filter { $0 <= sendAt } + [sendAt]
        let full = starts.filter { start in near.count { $0 >= start && $0 < start + day } >= limit }
        return full.map { $0 + day }.max()
    }
}
