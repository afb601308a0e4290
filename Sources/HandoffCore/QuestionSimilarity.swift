/// Whether a customer asks the same thing again in other words: "Where is my order?" and
/// "wheres my order??" are one question; "I want to cancel" and "I want to order" are two, and
/// so are "where is order 1041?" and "where is order 1042?".
///
/// The score is the Sørensen–Dice coefficient of the character pairs of the two texts' normalised
/// words (`Intent.normalizedWords`, joined by single spaces): 1 for the same words, near 1 for a
/// dropped letter, an apostrophe or a swapped word, low for different words of the same shape.
public enum QuestionSimilarity {
    /// At or above this score two questions are the same.
    public static let threshold = 0.75
    /// Shorter texts ("ok thanks", "hi?") are never a repeated question.
    public static let minimumCharacters = 8
    public static let minimumWords = 3

    /// The Dice coefficient of the character pairs of `lhs` and `rhs` (0...1).
    public static func score(_ lhs: String, _ rhs: String) -> Double {
        let left = pairs(of: normalized(lhs))
        let right = pairs(of: normalized(rhs))
        let total = left.values.reduce(0, +) + right.values.reduce(0, +)
        guard total > 0 else { return 0 }
        let shared = left.reduce(0) { $0 + min($1.value, right[$1.key] ?? 0) }
        return Double(2 * shared) / Double(total)
    }

    /// Whether `rhs` asks what `lhs` asked. Numbers must match: "order 1041?" and "order 1042?"
    /// are two questions, however alike their words.
    public static func isRepeat(_ lhs: String, of rhs: String) -> Bool {
        isLongEnough(lhs) && isLongEnough(rhs) && numbers(in: lhs) == numbers(in: rhs) && score(lhs, rhs) >= threshold
    }

    /// The words of `text` that hold a digit, in order.
    private static func numbers(in text: String) -> [String] {
        Intent.normalizedWords(text).filter { $0.contains(where: \.isNumber) }
    }

    private static func isLongEnough(_ text: String) -> Bool {
        let words = Intent.normalizedWords(text)
        return words.count >= minimumWords && words.joined(separator: " ").count >= minimumCharacters
    }

    private static func normalized(_ text: String) -> [Unicode.Scalar] {
        Array(Intent.normalizedWords(text).joined(separator: " ").unicodeScalars)
    }

    /// How many times each adjacent pair of scalars occurs.
    private static func pairs(of scalars: [Unicode.Scalar]) -> [UInt64: Int] {
        var counts: [UInt64: Int] = [:]
        for (first, second) in zip(scalars, scalars.dropFirst()) {
            counts[UInt64(first.value) << 32 | UInt64(second.value), default: 0] += 1
        }
        return counts
    }
}
