import HandoffCore
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
