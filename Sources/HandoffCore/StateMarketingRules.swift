/// The US state rules stricter than the federal window that marketing texts honour by default
/// (PROTOCOLS.md "Quiet hours"): Florida, Oklahoma and Maryland allow 08:00-20:00 and at most 3
/// marketing texts per 24 hours to one number; Connecticut and Nevada 09:00-20:00; Kentucky
/// 10:00-21:00, all in the recipient's local time. Keyed by ISO 3166-2 subdivision (`US-FL`), as
/// `PhoneNumber.subdivision` tells it from the area code.
public enum StateMarketingRules {
    /// The built-in windows by subdivision.
    public static let windows: [String: QuietHours] = [
        "US-FL": QuietHours(start: 8 * 60, end: 20 * 60),
        "US-OK": QuietHours(start: 8 * 60, end: 20 * 60),
        "US-MD": QuietHours(start: 8 * 60, end: 20 * 60),
        "US-CT": QuietHours(start: 9 * 60, end: 20 * 60),
        "US-NV": QuietHours(start: 9 * 60, end: 20 * 60),
        "US-KY": QuietHours(start: 10 * 60, end: 21 * 60),
    ]

    /// The most marketing texts to one number in any 24 hours, by subdivision.
    public static let textsPerDay: [String: Int] = ["US-FL": 3, "US-OK": 3, "US-MD": 3]

    /// The window a marketing text to `subdivision` may go out in: the intersection of the
    /// `configured` one (the operator's, which may be stricter) and the built-in one; the built-in
    /// one alone when the two share no minute (the law is not loosened).
    public static func window(_ configured: QuietHours, subdivision: String?) -> QuietHours {
        guard let builtIn = subdivision.flatMap({ windows[$0] }) else { return configured }
        return configured.intersection(builtIn) ?? builtIn
    }
}
