/// "Smart encoding": replaces typographic characters that force UCS-2 (curly quotes, dashes,
/// ellipses, non-breaking spaces) with GSM-7 look-alikes, so a text costs fewer segments.
public enum SMSSmartEncoding {
    static let replacements: [Character: String] = [
        "\u{2018}": "'", "\u{2019}": "'", "\u{201A}": "'", "\u{201B}": "'", "\u{2032}": "'",
        "\u{201C}": "\"", "\u{201D}": "\"", "\u{201E}": "\"", "\u{2033}": "\"", "\u{00AB}": "\"", "\u{00BB}": "\"",
        "\u{2013}": "-", "\u{2014}": "-", "\u{2012}": "-", "\u{2015}": "-", "\u{2212}": "-",
        "\u{2026}": "...", "\u{00A0}": " ", "\u{2009}": " ", "\u{200A}": " ", "\u{2002}": " ", "\u{2003}": " ",
        "\u{202F}": " ", "\u{200B}": "", "\u{2022}": "-", "\u{00B7}": "-",
    ]

    /// `body` with look-alikes substituted; unchanged when nothing applies.
    public static func apply(_ body: String) -> String {
        var output = ""
        output.reserveCapacity(body.utf8.count)
        for character in body {
            if let replacement = replacements[character] { output += replacement } else { output.append(character) }
        }
        return output
    }
}
