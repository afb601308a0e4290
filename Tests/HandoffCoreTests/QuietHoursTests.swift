import HandoffCore
import Testing

@Suite struct QuietHoursTests {
    @Test func parsesAndChecksTheWindow() throws {
        let window = try #require(QuietHours(parsing: "08:00-21:00"))
        #expect(window == .federalUS)
        #expect(window.allows(localMinute: 8 * 60))
        #expect(!window.allows(localMinute: 21 * 60))
        #expect(!window.allows(localMinute: 7 * 60 + 59))
        #expect(QuietHours(parsing: "21:00-08:00") == nil)
        #expect(QuietHours(parsing: "8-21") == nil)
    }

    @Test func waitsUntilEveryPossibleZoneIsAwake() {
        let window = QuietHours.federalUS
        #expect(window.minutesUntilAllowed(localMinutes: [12 * 60]) == 0)
        #expect(window.minutesUntilAllowed(localMinutes: [22 * 60]) == 10 * 60, "22:00 waits until 08:00")
        // 09:00 in New York is 06:00 in Los Angeles: wait two hours, until 08:00 there.
        #expect(window.minutesUntilAllowed(localMinutes: [9 * 60, 8 * 60, 7 * 60, 6 * 60]) == 120)
        #expect(QuietHours(start: 600, end: 660).minutesUntilAllowed(localMinutes: [0, 720]) == nil)
    }

    @Test func skipsQuietDays() {
        let window = QuietHours.federalUS
        let saturdayNoon = 6 * 1440 + 12 * 60
        #expect(window.minutesUntilAllowed(localMinutesOfWeek: [saturdayNoon], quietDays: [0]) == 0)
        let sundayNoon = 12 * 60
        #expect(
            window.minutesUntilAllowed(localMinutesOfWeek: [sundayNoon], quietDays: [0]) == 20 * 60,
            "Sunday noon waits until Monday 08:00")
        #expect(window.minutesUntilAllowed(localMinutesOfWeek: [sundayNoon], quietDays: Set(0..<7)) == nil)
    }

    @Test func marketingWindowsAreTheNarrowerOfTheConfiguredAndTheStateOne() {
        let florida = StateMarketingRules.window(.federalUS, subdivision: "US-FL")
        #expect(florida == QuietHours(start: 8 * 60, end: 20 * 60))
        #expect(
            StateMarketingRules.window(.federalUS, subdivision: "US-KY") == QuietHours(start: 10 * 60, end: 21 * 60))
        #expect(StateMarketingRules.window(.federalUS, subdivision: "US-CA") == .federalUS, "no stricter state rule")
        #expect(StateMarketingRules.window(.federalUS, subdivision: nil) == .federalUS)
        let configured = QuietHours(start: 9 * 60, end: 19 * 60)
        #expect(StateMarketingRules.window(configured, subdivision: "US-FL") == configured)
        #expect(
            StateMarketingRules.window(QuietHours(start: 20 * 60, end: 22 * 60), subdivision: "US-FL") == florida,
            "no shared minute: the state's window, never a looser one")
    }
}
