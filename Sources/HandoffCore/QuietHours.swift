/// When proactive texts may be sent: a daily window in the recipient's local time (PROTOCOLS.md:
/// US federal 08:00-21:00; stricter states configure narrower windows).
public struct QuietHours: Sendable, Equatable {
    /// First allowed minute of the day (e.g. 480 for 08:00).
    public var start: Int
    /// First minute no longer allowed (e.g. 1260 for 21:00).
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses `08:00-21:00`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = Self.minute(parts[0]), let end = Self.minute(parts[1]), start < end else {
            return nil
        }
        self.init(start: start, end: end)
    }

    public static let federalUS = QuietHours(start: 8 * 60, end: 21 * 60)

    /// The narrower window allowed by both, or nil when they share no minute.
    public func intersection(_ other: QuietHours) -> QuietHours? {
        let start = max(start, other.start)
        let end = min(end, other.end)
        return start < end ? QuietHours(start: start, end: end) : nil
    }

    /// Whether a text may go out at `localMinute` (0..<1440).
    public func allows(localMinute: Int) -> Bool { localMinute >= start && localMinute < end }

    /// The wait, in minutes, until every one of the recipients' possible local times is inside
    /// the window (one area code can span several zones: the intersection decides). Nil when the
    /// zones never share an allowed minute.
    public func minutesUntilAllowed(localMinutes: [Int]) -> Int? {
        for wait in 0..<(24 * 60) where localMinutes.allSatisfy({ allows(localMinute: ($0 + wait) % 1440) }) {
            return wait
        }
        return nil
    }

    /// The same over a week, skipping `quietDays` (0 = Sunday ... 6 = Saturday): `localMinutesOfWeek`
    /// are the recipients' possible local times as minutes since Sunday 00:00.
    public func minutesUntilAllowed(localMinutesOfWeek: [Int], quietDays: Set<Int>) -> Int? {
        let week = 7 * 1440
        for wait in 0..<week
        where localMinutesOfWeek.allSatisfy({
            let minute = ($0 + wait) % week
            return allows(localMinute: minute % 1440) && !quietDays.contains(minute / 1440)
        }) {
            return wait
        }
        return nil
    }

    public var description: String { "\(Self.clock(start))-\(Self.clock(end))" }

    private static func minute(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours),
            (0..<60).contains(minutes), hours * 60 + minutes <= 1440
        else { return nil }
        return hours * 60 + minutes
    }

    private static func clock(_ minute: Int) -> String {
        let hours = minute / 60
        let minutes = minute % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }
}
