/// A share of successes (conversions) among trials (contacts), with the statistics an A/B test
/// report needs: the 95% Wilson score interval, and the two-sided p-value of the pooled
/// two-proportion z-test against another share.
public struct Proportion: Sendable, Equatable {
    public let successes: Int
    public let trials: Int

    /// The standard normal quantile for a two-sided 95% interval.
    public static let z95 = 1.959_963_984_540_054

    public init(successes: Int, trials: Int) {
        precondition(trials >= 0 && (0...max(trials, 0)).contains(successes), "successes within 0...trials")
        self.successes = successes
        self.trials = trials
    }

    /// successes / trials; nil without trials.
    public var value: Double? { trials == 0 ? nil : Double(successes) / Double(trials) }

    /// The Wilson score interval at `z` (95% by default); nil without trials. Unlike the normal
    /// approximation it stays inside [0, 1] and is sound for small counts and shares near 0 or 1.
    public func wilsonInterval(z: Double = z95) -> (low: Double, high: Double)? {
        guard let p = value else { return nil }
        let n = Double(trials)
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
        return (max(0, center - half), min(1, center + half))
    }

    /// The two-sided p-value of the pooled two-proportion z-test of this share against `other`;
    /// nil when either has no trials or the pooled share is 0 or 1 (no variance: no evidence of
    /// a difference either way).
    public func pValue(against other: Proportion) -> Double? {
        guard let p1 = value, let p2 = other.value else { return nil }
        let pooled = Double(successes + other.successes) / Double(trials + other.trials)
        let variance = pooled * (1 - pooled) * (1 / Double(trials) + 1 / Double(other.trials))
        guard variance > 0 else { return nil }
        let z = abs(p1 - p2) / variance.squareRoot()
        return Self.complementaryErrorFunction(z / 2.0.squareRoot())
    }

    /// erfc(x) for x ≥ 0, W. J. Cody's rational Chebyshev approximations (relative error below
    /// 1e-15 in double precision), the method behind most C libraries' erfc.
    static func complementaryErrorFunction(_ x: Double) -> Double {
        if x < 0.5 { return 1 - errorFunctionSmall(x) }
        if x < 4 {
            let p = [
                5.641_884_969_886_700_9e-1, 8.883_149_794_388_376e0, 6.611_919_063_714_163e1,
                2.986_351_381_974_001e2, 8.819_522_212_417_69e2, 1.712_047_612_634_070_6e3,
                2.051_078_377_826_071_5e3, 1.230_339_354_797_997_3e3, 2.153_115_354_744_038_3e-8,
            ]
            let q = [
                1.574_492_611_070_983_5e1, 1.176_939_508_913_124_9e2, 5.371_811_018_620_099e2,
                1.621_389_574_566_690_2e3, 3.290_799_235_733_459_7e3, 4.362_619_090_143_247e3,
                3.439_367_674_143_721_6e3, 1.230_339_354_803_749_5e3,
            ]
            var numerator = p[8] * x
            var denominator = x
            for index in 0..<7 {
                numerator = (numerator + p[index]) * x
                denominator = (denominator + q[index]) * x
            }
            let ratio = (numerator + p[7]) / (denominator + q[7])
            return gaussianTail(x) * ratio
        }
        if x > 27 { return 0 }
        let p = [
            3.053_266_349_612_323_4e-1, 3.603_448_999_498_044_4e-1, 1.257_817_261_112_292_6e-1,
            1.608_378_514_874_227_6e-2, 6.587_491_615_298_378e-4, 1.631_538_713_730_209_78e-2,
        ]
        let q = [
            2.568_520_192_289_822_4e0, 1.872_952_849_923_460_5e0, 5.279_051_029_514_284e-1,
            6.051_834_131_244_132e-2, 2.335_204_976_268_691_8e-3,
        ]
        let square = 1 / (x * x)
        var numerator = p[5] * square
        var denominator = square
        for index in 0..<4 {
            numerator = (numerator + p[index]) * square
            denominator = (denominator + q[index]) * square
        }
        var ratio = square * (numerator + p[4]) / (denominator + q[4])
        ratio = (1 / Double.pi.squareRoot() - ratio) / x
        return gaussianTail(x) * ratio
    }

    /// erf(x) for |x| < 0.5 (Cody).
    private static func errorFunctionSmall(_ x: Double) -> Double {
        let a = [
            3.161_123_743_870_565_6e0, 1.138_641_541_510_501_6e2, 3.774_852_376_853_020_2e2,
            3.209_377_589_138_469_5e3, 1.857_777_061_846_031_5e-1,
        ]
        let b = [
            2.360_129_095_234_412_1e1, 2.440_246_379_344_441_7e2, 1.282_616_526_077_372_3e3,
            2.844_236_833_439_170_6e3,
        ]
        let square = x * x
        var numerator = a[4] * square
        var denominator = square
        for index in 0..<3 {
            numerator = (numerator + a[index]) * square
            denominator = (denominator + b[index]) * square
        }
        return x * (numerator + a[3]) / (denominator + b[3])
    }

    /// exp(-x²), computed in two parts so that the rounding of x² does not cost precision.
    private static func gaussianTail(_ x: Double) -> Double {
        let rounded = (x * 16).rounded(.down) / 16
        let delta = (x - rounded) * (x + rounded)
        return exponential(-rounded * rounded) * exponential(-delta)
    }

    /// e^x by range reduction and a Taylor series (the standard library has no `exp` without
    /// Foundation); relative error near 1e-16 for the arguments erfc needs (-730 < x ≤ 0).
    private static func exponential(_ x: Double) -> Double {
        let ln2 = 0.693_147_180_559_945_3
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        var term = 1.0
        var sum = 1.0
        for n in 1...25 {
            term *= r / Double(n)
            sum += term
            if abs(term) < 1e-17 * abs(sum) { break }
        }
        return Double(sign: .plus, exponent: Int(k), significand: 1) * sum
    }
}
