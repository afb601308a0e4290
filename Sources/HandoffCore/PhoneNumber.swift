/// A phone number in E.164, parsed from what a person typed.
///
/// Accepts spaces, dashes, dots, slashes and parentheses; a leading `+`, `00`, or (from NANP
/// regions) `011` for international numbers; otherwise a national number of `defaultRegion`,
/// with its trunk prefix (`0`, `1`, `8`, `06`) or without. Rejects what cannot be a number:
/// letters, an unknown country calling code, a national number of a length the country does not
/// use (libphonenumber's lengths, see `PhoneNumberMetadata`), more than 15 digits, and NANP area
/// codes or exchanges starting with 0 or 1.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// `+` and the digits, e.g. `+14155552671`.
    public let e164: String
    public let countryCallingCode: Int
    /// The national significant number, e.g. `4155552671`.
    public let nationalNumber: String

    /// Parses `text`; `defaultRegion` (ISO 3166 alpha-2) is used for numbers without a country code.
    public init(parsing text: String, defaultRegion: String) throws(HandoffCoreError) {
        let (international, digits) = try Self.digits(of: text)
        let region = PhoneNumberMetadata.regions[defaultRegion.uppercased()]
        var remaining = Substring(digits)
        var callingCode: Int?
        if !international, let region {
            if remaining.hasPrefix("00") {
                remaining = remaining.dropFirst(2)
            } else if region.callingCode == 1, remaining.hasPrefix("011") {
                remaining = remaining.dropFirst(3)
            } else {
                callingCode = region.callingCode
            }
        } else if !international {
            throw Self.invalid("Include the country code, starting with +.")
        }
        let code: Int
        if let callingCode {
            code = callingCode
        } else {
            guard let found = Self.callingCode(prefixing: remaining) else {
                throw Self.invalid("The country code is not one in use.")
            }
            code = found
            remaining = remaining.dropFirst(String(found).count)
        }
        guard let lengths = PhoneNumberMetadata.callingCodes[code]?.lengths else {
            throw Self.invalid("The country code is not one in use.")
        }
        let trunk = PhoneNumberMetadata.regions[PhoneNumberMetadata.callingCodes[code]?.region ?? ""]?.trunkPrefix
        var candidate =
            (region?.callingCode == code ? region?.trunkPrefix : trunk).flatMap { prefix -> Substring? in
                guard remaining.hasPrefix(prefix) else { return nil }
                let stripped = remaining.dropFirst(prefix.count)
                return lengths.contains(stripped.count) ? stripped : nil
            } ?? remaining
        if code == 54, callingCode != nil, let mobile = Self.argentineMobile(candidate) { candidate = mobile }
        guard lengths.contains(candidate.count) else {
            throw Self.invalid(
                candidate.count < (lengths.min() ?? 0) ? "The number is too short." : "The number is too long.")
        }
        guard String(code).count + candidate.count <= 15 else { throw Self.invalid("The number is too long.") }
        if code == 1 {
            let area = candidate.first!
            let exchange = candidate[candidate.index(candidate.startIndex, offsetBy: 3)]
            guard area >= "2", exchange >= "2" else {
                throw Self.invalid("US and Canadian area codes and exchanges cannot start with 0 or 1.")
            }
        }
        countryCallingCode = code
        nationalNumber = String(candidate)
        e164 = "+\(code)\(candidate)"
    }

    /// `+1******2671`: the country code and the last four digits, for logs and the widget.
    public var masked: String {
        let code = String(countryCallingCode)
        let hidden = max(0, nationalNumber.count - 4)
        return "+" + code + String(repeating: "*", count: hidden) + String(nationalNumber.suffix(4))
    }

    /// The mask of a stored E.164 number; a value that does not parse keeps only its last four
    /// characters, so no number ever leaks whole.
    public static func mask(e164: String) -> String {
        (try? PhoneNumber(parsing: e164, defaultRegion: "US").masked)
            ?? String(repeating: "*", count: max(0, e164.count - 4)) + String(e164.suffix(4))
    }

    /// The region of the number: by area code for +1 (`CA`, `JM`, ... or `US`), else the main
    /// region of its calling code.
    public var regionCode: String {
        if countryCallingCode == 1, let area = Int(nationalNumber.prefix(3)),
            let region = PhoneNumberMetadata.nanpAreaCodes[area]
        {
            return region
        }
        return PhoneNumberMetadata.callingCodes[countryCallingCode]?.region ?? ""
    }

    public var description: String { masked }

    /// The ISO 3166-2 subdivision when the number tells it (`US-FL` from a Florida area code).
    public var subdivision: String? {
        guard countryCallingCode == 1, let area = Int(nationalNumber.prefix(3)),
            let state = PhoneNumberMetadata.nanpStates[area]
        else { return nil }
        return "US-" + state
    }

    /// The time zones the number may be in, when its area code tells (NANP); empty otherwise.
    public var timeZoneIdentifiers: [String] {
        guard countryCallingCode == 1, let area = Int(nationalNumber.prefix(3)) else { return [] }
        return PhoneNumberMetadata.nanpTimeZones[area] ?? []
    }

    /// Whether `region` is a known ISO 3166 region with a calling code.
    public static func isKnownRegion(_ region: String) -> Bool {
        PhoneNumberMetadata.regions[region.uppercased()] != nil
    }

    /// The calling code of `region`, e.g. 44 for GB.
    public static func callingCode(ofRegion region: String) -> Int? {
        PhoneNumberMetadata.regions[region.uppercased()]?.callingCode
    }

    /// The digits of `text` and whether it started with `+`; letters and stray symbols are refused.
    private static func digits(of text: String) throws(HandoffCoreError) -> (Bool, String) {
        var digits = ""
        var international = false
        var seenDigit = false
        // Scalars, not Characters: "3" followed by a combining mark is one Character that still
        // sorts between "0" and "9".
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9":
                digits.unicodeScalars.append(scalar)
                seenDigit = true
            case "+" where !seenDigit && !international:
                international = true
            case " ", "-", ".", "(", ")", "/", "\u{00A0}", "\t":
                continue
            default:
                throw invalid("Use digits only, with an optional leading +.")
            }
            if digits.unicodeScalars.count > 17 { throw invalid("The number is too long.") }
        }
        guard digits.count >= 4 else { throw invalid("The number is too short.") }
        return (international, digits)
    }

    /// Argentina's national mobile format, `0 11 15-2345-6789` (trunk 0, area code, the mobile
    /// token 15, the subscriber), is `+54 9 11 2345-6789` internationally.
    private static func argentineMobile(_ digits: Substring) -> Substring? {
        let national = digits.hasPrefix("0") ? digits.dropFirst() : digits
        for areaLength in 2...4 where national.count == areaLength + 2 + (10 - areaLength) {
            let area = national.prefix(areaLength)
            let rest = national.dropFirst(areaLength)
            if rest.hasPrefix("15") { return Substring("9" + area + rest.dropFirst(2)) }
        }
        return nil
    }

    private static func callingCode(prefixing digits: Substring) -> Int? {
        guard digits.first != "0" else { return nil }
        for length in 1...3 where digits.count > length {
            if let code = Int(digits.prefix(length)), PhoneNumberMetadata.callingCodes[code] != nil { return code }
        }
        return nil
    }

    private static func invalid(_ message: String) -> HandoffCoreError {
        HandoffCoreError(code: "invalid_phone_number", message: message, field: "phone")
    }
}
