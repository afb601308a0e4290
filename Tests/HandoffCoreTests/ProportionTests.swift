import HandoffCore
import TestSupport
import Testing

@Suite struct ProportionTests {
    @Test func aKnownCase() throws {
        // 81 of 263: Wilson's 95% interval is 0.2553 to 0.3662 (Newcombe 1998, table I, rounded).
        let interval = try #require(Proportion(successes: 81, trials: 263).wilsonInterval())
        #expect(abs(interval.low - 0.2553) < 5e-5 && abs(interval.high - 0.3662) < 5e-5)
        #expect(Proportion(successes: 0, trials: 0).wilsonInterval() == nil)
        #expect(Proportion(successes: 0, trials: 10).wilsonInterval()?.low == 0)
        #expect(Proportion(successes: 5, trials: 10).pValue(against: Proportion(successes: 5, trials: 10)) == 1)
        #expect(Proportion(successes: 0, trials: 10).pValue(against: Proportion(successes: 0, trials: 20)) == nil)
    }

    struct Expected: Decodable {
        let low: Double
        let high: Double
        let p: Double?
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with statsmodels (make test sets it)"))
    func agreesWithStatsmodels() throws {
        var random = SplitMix64(seed: 20_261_206)
        var cases: [[Int]] = [
            [1, 1, 0, 1], [0, 5, 5, 5], [3, 1000, 9, 1000], [500, 1000, 520, 1000], [1, 2, 40, 41],
        ]
        for _ in 0..<300 {
            let n1 = Int(random.next() % 5000) + 1
            let n2 = Int(random.next() % 5000) + 1
            cases.append([Int(random.next() % UInt64(n1 + 1)), n1, Int(random.next() % UInt64(n2 + 1)), n2])
        }
        let expected = try PythonOracle.runJSON(script: "proportions.py", input: cases, as: [Expected].self)
        #expect(expected.count == cases.count)
        for (row, oracle) in zip(cases, expected) {
            let first = Proportion(successes: row[0], trials: row[1])
            let second = Proportion(successes: row[2], trials: row[3])
            let interval = try #require(first.wilsonInterval())
            #expect(abs(interval.low - oracle.low) <= 1e-12 && abs(interval.high - oracle.high) <= 1e-12, "\(row)")
            let ours = first.pValue(against: second)
            if let p = oracle.p, let ours {
                #expect(abs(ours - p) <= 1e-12 + 1e-9 * p, "\(row): ours \(ours), statsmodels \(p)")
            } else {
                #expect(
                    ours == nil && oracle.p == nil,
                    "\(row): ours \(String(describing: ours)), statsmodels \(String(describing: oracle.p))")
            }
        }
    }
}
