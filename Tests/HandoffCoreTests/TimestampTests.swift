import HandoffCore
import TestSupport
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_795_358_515_123, "2026-11-22T14:41:55.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
    ])
    func rendersRFC3339UTCWithMilliseconds(millis: Int64, expected: String) {
        #expect(Timestamp(unixMilliseconds: millis).description == expected)
    }
}

@Suite struct TimestampParsingTests {
    @Test(arguments: [
        ("2026-12-06T10:15:00Z", Int64(1_796_552_100_000)), ("2026-12-06T10:15:00.123Z", 1_796_552_100_123),
        ("2026-12-06T10:15:00.1Z", 1_796_552_100_100), ("2026-12-06T10:15:00.123456Z", 1_796_552_100_123),
        ("2026-12-06T11:15:00+01:00", 1_796_552_100_000), ("2026-12-06T05:15:00-05:00", 1_796_552_100_000),
        ("1970-01-01T00:00:00Z", 0), ("2028-02-29t00:00:00z", 1_835_395_200_000), ("1969-12-31T23:59:59Z", -1000),
    ])
    func parsesRFC3339(text: String, millis: Int64) {
        #expect(Timestamp(parsing: text)?.unixMilliseconds == millis)
    }

    @Test(arguments: [
        "", "2026-12-06", "2026-12-06T10:15:00", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-12-06T24:00:00Z", "2026-12-06T10:15:00.Z", "2026-12-06T10:15:00+0100", "2026-12-06 10:15:00Z",
        "２026-12-06T10:15:00Z", "2026-12-06T10:15:00Zjunk",
    ])
    func refusesOthers(text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func roundTripsWhatItWrites() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let millis = Int64(bitPattern: random.next() % 8_000_000_000_000) - 2_000_000_000_000
            let written = Timestamp(unixMilliseconds: millis).description
            #expect(Timestamp(parsing: written)?.unixMilliseconds == millis, "\(written)")
        }
    }
}
