/// Comparison of secrets (signatures, code hashes, key digests) whose time does not depend on
/// where the first difference is.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same bytes; only their lengths may leak.
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}
