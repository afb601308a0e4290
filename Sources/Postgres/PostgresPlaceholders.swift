/// How a statement's text marks its parameters.
public enum PostgresPlaceholders: Sendable {
    /// PostgreSQL's own `$1`, `$2`...: the text goes to the server as it is.
    case numbered
    /// SQLite's `?` (the next number) and `?NNN` (number NNN), as the shared SQL of the
    /// repositories writes them: rewritten to `$n` once, when the statement is prepared.
    case questionMarks

    /// `sql` with its placeholders as PostgreSQL numbers them. A `?` inside a string literal, a
    /// quoted identifier, a comment or a dollar-quoted body is text, not a placeholder. As in
    /// SQLite, a bare `?` takes the number after the largest one given so far.
    package func rewrite(_ sql: String) -> String {
        guard self == .questionMarks, sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var largest = 0
        var index = 0
        /// Copies up to and including the next `terminator` (or to the end).
        func copy(through terminator: [UInt8]) {
            while index < bytes.count {
                if bytes[index...].starts(with: terminator) {
                    output += terminator
                    index += terminator.count
                    return
                }
                output.append(bytes[index])
                index += 1
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A doubled quote inside ends one literal and starts the next: the same text.
                output.append(byte)
                index += 1
                copy(through: [byte])
            case UInt8(ascii: "-") where bytes[index...].starts(with: Array("--".utf8)):
                copy(through: [UInt8(ascii: "\n")])
            case UInt8(ascii: "/") where bytes[index...].starts(with: Array("/*".utf8)):
                copy(through: Array("*/".utf8))
            case UInt8(ascii: "$") where Self.dollarTag(bytes, at: index) != nil:
                let tag = Self.dollarTag(bytes, at: index)!
                output += tag
                index += tag.count
                copy(through: tag)
            case UInt8(ascii: "?"):
                index += 1
                var digits = 0
                var number = 0
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    number = number * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                    digits += 1
                    index += 1
                }
                if digits == 0 { number = largest + 1 }
                largest = max(largest, number)
                output += Array("$\(number)".utf8)
            default:
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The `$tag$` (or `$$`) that opens a dollar-quoted string at `index`, if one does; `$1` is
    /// a parameter, not a tag.
    private static func dollarTag(_ bytes: [UInt8], at index: Int) -> [UInt8]? {
        func isTagByte(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"),
                0x80...:
                true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): !first
            default: false
            }
        }
        var end = index + 1
        while end < bytes.count, isTagByte(bytes[end], first: end == index + 1) { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "$") else { return nil }
        return Array(bytes[index...end])
    }
}
