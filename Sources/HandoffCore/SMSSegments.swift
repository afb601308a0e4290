/// How a body is split into SMS parts (PROTOCOLS.md): one part up to 160 septets (GSM-7) or 70
/// UTF-16 units (UCS-2); beyond that, parts of 153 septets or 67 units, because each carries a
/// concatenation header. A part never ends inside an escape pair, a surrogate pair or a grapheme
/// cluster (a cluster too long for one part is split between its scalars, pairs kept whole).
public struct SMSSegments: Sendable, Equatable {
    public let encoding: SMSEncoding
    /// The parts, in order; an empty body is one empty part.
    public let parts: [String]
    /// Septets (GSM-7) or UTF-16 units (UCS-2) of the whole body.
    public let units: Int

    public var count: Int { parts.count }

    public init(body: String) {
        let encoding = SMSEncoding.of(body)
        self.encoding = encoding
        let cost: (Character) -> Int =
            encoding == .gsm7 ? { SMSEncoding.septets($0) ?? 0 } : { $0.utf16.count }
        units = body.reduce(0) { $0 + cost($1) }
        let single = encoding == .gsm7 ? 160 : 70
        guard units > single else {
            parts = [body]
            return
        }
        let perPart = encoding == .gsm7 ? 153 : 67
        var parts: [String] = []
        var current = ""
        var used = 0
        func append(_ text: String, costing units: Int) {
            if used + units > perPart {
                parts.append(current)
                current = ""
                used = 0
            }
            current += text
            used += units
        }
        for character in body {
            let units = cost(character)
            if units <= perPart {
                append(String(character), costing: units)
            } else {
                for scalar in character.unicodeScalars {
                    let scalarUnits =
                        encoding == .gsm7 ? (SMSEncoding.extended.contains(scalar) ? 2 : 1) : scalar.utf16.count
                    append(String(scalar), costing: scalarUnits)
                }
            }
        }
        if !current.isEmpty { parts.append(current) }
        self.parts = parts
    }
}
