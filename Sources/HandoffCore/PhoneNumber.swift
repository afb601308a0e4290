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

    /// `+1` and the area code of a NANP number (`+1415`); nil for other countries.
    public var areaCode: String? {
        countryCallingCode == 1 ? "+1" + nationalNumber.prefix(3) : nil
    }

    /// The time zones the number may be in, when its area code tells (NANP); empty otherwise.
    public var timeZoneIdentifiers: [String] {
        guard countryCallingCode == 1, let area = Int(nationalNumber.prefix(3)) else { return [] }
        return PhoneNumberMetadata.nanpTimeZones[area] ?? []
    }

    /// The kind of line the number is, by libphonenumber's patterns (`phonenumbers.number_type`):
    /// `.unknown` when no pattern of its country matches (the metadata cannot tell).
    public var kind: Kind {
        guard let plans = PhoneNumberMetadata.numberPlans[countryCallingCode] else { return .unknown }
        // Like `phonenumbers.region_code_for_number`: a calling code's only region, or the first
        // whose leading digits (or, without them, whose patterns) fit the number.
        let national = nationalNumber
        let plan = plans.count == 1 ? plans.first : plans.first(where: { $0.fits(national) })
        return plan?.kind(of: national) ?? .unknown
    }

    /// Kinds of phone line, as libphonenumber names them.
    public enum Kind: String, Sendable, CaseIterable {
        case fixedLine = "fixed_line", mobile, fixedLineOrMobile = "fixed_line_or_mobile", tollFree = "toll_free"
        case premiumRate = "premium_rate", sharedCost = "shared_cost", voip, personalNumber = "personal_number"
        case pager, uan, voicemail, unknown

        /// Whether a text to this kind can reach a person's phone at a normal price: mobiles, the
        /// numbers the metadata cannot tell from mobiles (all of NANP's), and those it cannot type.
        public var receivesTexts: Bool {
            switch self {
            case .mobile, .fixedLineOrMobile, .unknown: true
            case .fixedLine, .tollFree, .premiumRate, .sharedCost, .voip, .personalNumber, .pager, .uan, .voicemail:
                false
            }
        }
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

/// One region's numbering plan (libphonenumber's metadata): the pattern every national number
/// matches, then one per kind of line, in the order `phonenumbers` tries them.
struct NumberPlan: Sendable {
    /// A pattern and the national lengths it applies to (empty: any length).
    struct Description: Sendable {
        let kind: PhoneNumber.Kind
        let lengths: Set<Int>
        let pattern: String

        init(_ kind: PhoneNumber.Kind, _ lengths: Set<Int>, _ pattern: String) {
            self.kind = kind
            self.lengths = lengths
            self.pattern = pattern
        }

        func matches(_ national: String) -> Bool {
            guard lengths.isEmpty || lengths.contains(national.count), let regex = try? Regex(pattern) else {
                return false
            }
            return national.wholeMatch(of: regex) != nil
        }
    }

    let region: String
    /// How national numbers of this region start, when several regions share a calling code.
    let leadingDigits: String?
    let sameMobileAndFixedLinePattern: Bool
    let general: Description
    let kinds: [Description]

    /// Whether a number of the calling code belongs to this region.
    func fits(_ national: String) -> Bool {
        guard let leadingDigits else { return kind(of: national) != .unknown }
        guard let regex = try? Regex(leadingDigits) else { return false }
        return national.prefixMatch(of: regex) != nil
    }

    /// `phonenumbers`' `_number_type_helper`: the first special kind that matches, else fixed
    /// line, mobile or both.
    func kind(of national: String) -> PhoneNumber.Kind {
        guard general.matches(national) else { return .unknown }
        let special = kinds.filter { $0.kind != .fixedLine && $0.kind != .mobile }
        if let match = special.first(where: { $0.matches(national) }) { return match.kind }
        let mobile = kinds.first { $0.kind == .mobile }
        if let fixed = kinds.first(where: { $0.kind == .fixedLine }), fixed.matches(national) {
            return sameMobileAndFixedLinePattern || mobile?.matches(national) == true ? .fixedLineOrMobile : .fixedLine
        }
        return !sameMobileAndFixedLinePattern && mobile?.matches(national) == true ? .mobile : .unknown
    }
}
