import DatabaseDriver
import Foundation
package import HandoffCore
import Storage

/// Defers proactive texts to the recipient's allowed hours (PROTOCOLS.md "Quiet hours").
///
/// A text is a reply, sent at once, when the customer wrote within `replyWindow`, or when it is
/// one of our own transactional texts (codes, confirmations). Otherwise it is proactive and waits
/// until the local time is inside the window in every zone the recipient may be in: the zone
/// the widget reported, else the zones of the number's area code (NANP, several when it spans
/// several: the intersection of their windows decides), else of its country (all continental US
/// zones for an unknown +1 area code). A country we have no zone for is not deferred. A marketing
/// text also honours the stricter state window of its number (`StateMarketingRules`).
package struct QuietHoursPolicy: Sendable {
    var window: QuietHours
    var replyWindowMilliseconds: Int64
    /// Stricter windows by region or subdivision (`US-FL`, `GB`), where the number tells.
    var windowsByRegion: [String: QuietHours] = [:]
    /// Days with no proactive texts (0 = Sunday ... 6 = Saturday), in the recipient's time.
    var quietDays: Set<Int> = []
    /// Proactive texts per number per 24 hours at most; 0 = no cap.
    var proactivePerDay = 0

    package init(
        window: QuietHours, replyWindowMilliseconds: Int64, windowsByRegion: [String: QuietHours] = [:],
        quietDays: Set<Int> = [], proactivePerDay: Int = 0
    ) {
        self.window = window
        self.replyWindowMilliseconds = replyWindowMilliseconds
        self.windowsByRegion = windowsByRegion
        self.quietDays = quietDays
        self.proactivePerDay = proactivePerDay
    }

    /// Representative zones by calling code, where the number alone must decide.
    static let zonesByCallingCode: [Int: [String]] = [
        1: ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
        44: ["Europe/London"], 49: ["Europe/Berlin"], 33: ["Europe/Paris"], 39: ["Europe/Rome"], 34: ["Europe/Madrid"],
        31: ["Europe/Amsterdam"], 32: ["Europe/Brussels"], 41: ["Europe/Zurich"], 43: ["Europe/Vienna"],
        46: ["Europe/Stockholm"], 47: ["Europe/Oslo"], 45: ["Europe/Copenhagen"], 353: ["Europe/Dublin"],
        351: ["Europe/Lisbon"], 48: ["Europe/Warsaw"], 91: ["Asia/Kolkata"], 81: ["Asia/Tokyo"], 82: ["Asia/Seoul"],
        65: ["Asia/Singapore"], 27: ["Africa/Johannesburg"], 234: ["Africa/Lagos"], 972: ["Asia/Jerusalem"],
        971: ["Asia/Dubai"], 966: ["Asia/Riyadh"], 90: ["Europe/Istanbul"],
    ]

    /// When `message` may go out (Unix ms), or nil for now.
    func deferral(for message: MessageRecord, marketing: Bool = false, connection: any Connection, now: Int64) throws
        -> Int64?
    {
        if message.author == .system { return nil }
        let lastInbound = try ChatRepository(connection).lastInboundAt(conversationID: message.conversationID)
        if let lastInbound, now - lastInbound <= replyWindowMilliseconds { return nil }
        let zones = try zones(for: message, connection: connection)
        var until = now
        if proactivePerDay > 0, let phone = message.toE164 {
            let sent = try OutboxRepository(connection).proactiveSendTimes(to: phone, since: now - 86_400_000)
            if sent.count >= proactivePerDay { until = sent[sent.count - proactivePerDay] + 86_400_000 }
        }
        guard !zones.isEmpty else { return until > now ? until : nil }
        let window = applicableWindow(for: message, marketing: marketing)
        let date = Date(timeIntervalSince1970: Double(until) / 1000)
        // 1970-01-01 was a Thursday: minutes since then, shifted by 4 days, count from a Sunday.
        let minutesSinceSunday = Int(until / 60_000) + 4 * 1440
        let localMinutesOfWeek = zones.map { zone in
            ((minutesSinceSunday + zone.secondsFromGMT(for: date) / 60) % (7 * 1440) + 7 * 1440) % (7 * 1440)
        }
        guard let wait = window.minutesUntilAllowed(localMinutesOfWeek: localMinutesOfWeek, quietDays: quietDays)
        else { return until > now ? until : nil }
        if wait == 0 { return until > now ? until : nil }
        return until - until % 60_000 + Int64(wait) * 60_000
    }

    /// The window of the number's subdivision or country when one is configured, else the default;
    /// for a marketing text, narrowed to its state's built-in window.
    private func applicableWindow(for message: MessageRecord, marketing: Bool) -> QuietHours {
        guard let phone = message.toE164, let number = try? PhoneNumber(parsing: phone, defaultRegion: "US") else {
            return window
        }
        let configured =
            number.subdivision.flatMap { windowsByRegion[$0] } ?? windowsByRegion[number.regionCode] ?? window
        return marketing ? StateMarketingRules.window(configured, subdivision: number.subdivision) : configured
    }

    private func zones(for message: MessageRecord, connection: any Connection) throws -> [TimeZone] {
        let chat = ChatRepository(connection)
        let reported = try chat.conversation(id: message.conversationID).flatMap {
            try chat.contact(id: $0.contactID)?.timeZone
        }
        return Self.zones(reported: reported, phone: message.toE164)
    }

    /// Every zone a recipient may be in: the one the widget `reported` when known, else those of
    /// the number's area code or country (none for a country we have no zone for).
    static func zones(reported: String?, phone: String?) -> [TimeZone] {
        if let reported, let zone = TimeZone(identifier: reported) { return [zone] }
        guard let phone, let number = try? PhoneNumber(parsing: phone, defaultRegion: "US") else { return [] }
        let identifiers =
            number.timeZoneIdentifiers.isEmpty
            ? Self.zonesByCallingCode[number.countryCallingCode] ?? [] : number.timeZoneIdentifiers
        return identifiers.compactMap(TimeZone.init(identifier:))
    }
}
