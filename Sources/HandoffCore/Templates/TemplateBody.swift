/// A template's text split into literal runs and `{{name}}` placeholders.
///
/// A placeholder is `{{`, optional spaces, a snake_case name (`[a-z][a-z0-9_]*`, at most 64
/// characters), optional spaces and `}}`. A `{{` that does not open a valid placeholder is an
/// error (a typo would otherwise reach a customer as literal braces); a lone `{`, `}` or `}}` is
/// text.
public struct TemplateBody: Sendable, Equatable {
    /// One run of the body.
    public enum Part: Sendable, Equatable {
        case text(String)
        case placeholder(String)
    }

    public let parts: [Part]

    /// The names of the placeholders, in order of first use.
    public var placeholders: [String] {
        var seen = Set<String>()
        return parts.compactMap {
            guard case .placeholder(let name) = $0, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// Longest placeholder name.
    public static let maxNameLength = 64

    /// Parses `text`; throws `invalid_placeholder` (field `field`) at the first malformed `{{`.
    public init(parsing text: String, field: String = "body") throws(HandoffCoreError) {
        var parts: [Part] = []
        var literal = ""
        var rest = text[...]
        while let open = rest.firstRange(of: "{{") {
            literal += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}"),
                let name = Self.placeholderName(afterOpen[..<close.lowerBound])
            else {
                throw HandoffCoreError(
                    code: "invalid_placeholder",
                    message: "Every {{ must open a placeholder such as {{first_name}}: a snake_case name closed by }}.",
                    field: field)
            }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = ""
            parts.append(.placeholder(name))
            rest = afterOpen[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    /// Whether `name` is a valid variable name (snake_case, starting with a letter).
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            name.utf8.count <= maxNameLength
        else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }

    /// The name between `{{` and `}}`, spaces around it allowed; nil when it is not a name.
    private static func placeholderName(_ inner: Substring) -> String? {
        let name = inner.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let text = String(name)
        return isValidName(text) ? text : nil
    }

    /// The body with each placeholder replaced by `value(name)`.
    public func rendered(_ value: (String) -> String) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .text(let text): output += text
            case .placeholder(let name): output += value(name)
            }
        }
        return output
    }
}
