import Foundation

/// Reads the texts a TwiML answer asks Twilio to send back (minimal: `<Message>` only).
enum TwiML {
    /// The text of each `<Message>` in `document`: its `<Body>` child's when it has one, else its
    /// own text; trimmed, with XML entities and character references unescaped. A message with
    /// other children only (media), an empty one, or one never closed yields nothing.
    static func messages(in document: String) -> [String] {
        var texts: [String] = []
        var rest = document[...]
        while let (content, after) = element("Message", in: rest) {
            rest = after
            let text: Substring
            if let (body, _) = element("Body", in: content) {
                text = body
            } else if !content.contains("<") {
                text = content
            } else {
                continue
            }
            let unescaped = unescape(text).trimmingCharacters(in: .whitespacesAndNewlines)
            if !unescaped.isEmpty { texts.append(unescaped) }
        }
        return texts
    }

    /// The content of the first `<name>` (attributes allowed) in `text` and what follows its end
    /// tag; an empty element (`<name/>`) has empty content.
    private static func element(_ name: String, in text: Substring) -> (Substring, Substring)? {
        var rest = text
        while let open = rest.range(of: "<" + name) {
            let tail = rest[open.upperBound...]
            guard let next = tail.first else { return nil }
            guard next == ">" || next == "/" || next.isWhitespace else {
                rest = tail
                continue
            }
            guard let close = tail.firstIndex(of: ">") else { return nil }
            if tail[..<close].hasSuffix("/") { return ("", tail[tail.index(after: close)...]) }
            let content = tail[tail.index(after: close)...]
            guard let end = content.range(of: "</" + name + ">") else { return nil }
            return (content[..<end.lowerBound], content[end.upperBound...])
        }
        return nil
    }

    /// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;` and `&#xHH;` as the characters they
    /// stand for; anything else after `&` is kept as written.
    static func unescape(_ text: Substring) -> String {
        var result = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let tail = rest[rest.index(after: ampersand)...]
            guard let semicolon = tail.prefix(10).firstIndex(of: ";"),
                let character = character(named: tail[..<semicolon])
            else {
                result.append("&")
                rest = tail
                continue
            }
            result.append(character)
            rest = tail[tail.index(after: semicolon)...]
        }
        return result + rest
    }

    private static func character(named name: Substring) -> Character? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value =
                digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            return value.flatMap(Unicode.Scalar.init).map(Character.init)
        }
    }
}
