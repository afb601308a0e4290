/// A variable a template declares: its name, its type and whether every send must give it.
public struct TemplateVariable: Sendable, Equatable, Codable {
    /// What a value must look like, and how it is written into the text.
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        /// Any single-line text of at most `maxTextLength` characters.
        case text
        /// A calendar date, `YYYY-MM-DD`, written out in the recipient's language.
        case date
        /// A time of day, `HH:MM` (24-hour), written as the recipient's language does.
        case time
        /// An amount, `12.50` or with a currency code first, `EUR 12.50` (US dollars otherwise).
        case money
        /// An `http` or `https` address.
        case url
    }

    public var name: String
    public var type: Kind
    public var required: Bool

    public init(name: String, type: Kind, required: Bool = true) {
        self.name = name
        self.type = type
        self.required = required
    }

    private enum CodingKeys: String, CodingKey { case name, type, required }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(Kind.self, forKey: .type)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? true
    }

    /// Longest `text` value, in characters.
    public static let maxTextLength = 320
    /// Longest `url` value, in bytes.
    public static let maxURLLength = 2048

    /// `value` as it appears in a text to a recipient speaking `locale`; throws
    /// `invalid_variable` (field `variables.<name>`) when it is not a value of this type.
    public func formatted(_ value: String, locale: String) throws(HandoffCoreError) -> String {
        let language = TemplateLocale.language(of: locale)
        let formatted: String?
        switch type {
        case .text: formatted = Self.text(value)
        case .date: formatted = CalendarDate(parsing: value).map { $0.written(language: language) }
        case .time: formatted = TimeOfDay(parsing: value).map { $0.written(language: language) }
        case .money: formatted = MoneyAmount(parsing: value).map { $0.written(language: language) }
        case .url: formatted = Self.url(value)
        }
        guard let formatted else {
            throw HandoffCoreError(
                code: "invalid_variable", message: "\(name) is not a valid \(type.rawValue) (\(type.expectedForm)).",
                field: "variables.\(name)")
        }
        return formatted
    }

    private static func text(_ value: String) -> String? {
        guard value.count <= maxTextLength,
            !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return value
    }

    private static func url(_ value: String) -> String? {
        let lowered = value.lowercased()
        guard value.utf8.count <= maxURLLength, lowered.hasPrefix("https://") || lowered.hasPrefix("http://"),
            value.split(separator: "/", omittingEmptySubsequences: false).count >= 3,
            !value.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty,
            !value.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            })
        else { return nil }
        return value
    }
}

extension TemplateVariable.Kind {
    /// The accepted form, for error messages.
    var expectedForm: String {
        switch self {
        case .text: "one line of at most \(TemplateVariable.maxTextLength) characters"
        case .date: "YYYY-MM-DD"
        case .time: "HH:MM, 24-hour"
        case .money: "an amount such as 12.50, or EUR 12.50"
        case .url: "an http or https address"
        }
    }
}

/// Locale tags as templates use them: `es`, `es-MX`, `en_US`.
public enum TemplateLocale {
    /// The lowercased language subtag of `tag` (`es-MX` → `es`).
    public static func language(of tag: String) -> String {
        String(tag.prefix { $0 != "-" && $0 != "_" }).lowercased()
    }

    /// Of `available` locale tags, the one for `wanted`: the exact tag, else the same language,
    /// else `fallback`.
    public static func best(for wanted: String?, among available: [String], fallback: String) -> String {
        guard let wanted, !wanted.isEmpty else { return fallback }
        if let exact = available.first(where: { $0.lowercased() == wanted.lowercased() }) { return exact }
        let language = language(of: wanted)
        return available.first(where: { Self.language(of: $0) == language }) ?? fallback
    }
}

/// A proleptic Gregorian date, from `YYYY-MM-DD`.
struct CalendarDate: Equatable {
    let year: Int
    let month: Int
    let day: Int

    init?(parsing text: String) {
        let fields = text.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
            fields.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
            let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2]),
            (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day), year >= 1
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// 0 = Sunday … 6 = Saturday (Sakamoto's method).
    var weekday: Int {
        let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let y = month < 3 ? year - 1 : year
        return (y + y / 4 - y / 100 + y / 400 + offsets[month - 1] + day) % 7
    }

    static let englishWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    static let spanishWeekdays = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"]
    static let spanishMonths = [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
        "noviembre", "diciembre",
    ]

    /// "Friday, December 11" (en), "viernes 11 de diciembre" (es), else `2026-12-11`.
    func written(language: String) -> String {
        switch language {
        case "en": "\(Self.englishWeekdays[weekday]), \(Self.englishMonths[month - 1]) \(day)"
        case "es": "\(Self.spanishWeekdays[weekday]) \(day) de \(Self.spanishMonths[month - 1])"
        default: "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
        }
    }
}

/// A time of day, from `HH:MM` (24-hour).
struct TimeOfDay: Equatable {
    let hour: Int
    let minute: Int

    init?(parsing text: String) {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2, fields[0].count == 2, fields[1].count == 2,
            fields.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
            let hour = Int(fields[0]), let minute = Int(fields[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        (self.hour, self.minute) = (hour, minute)
    }

    /// "3:30 PM" (en), else "15:30".
    func written(language: String) -> String {
        let minutes = minute < 10 ? "0\(minute)" : "\(minute)"
        guard language == "en" else { return "\(hour < 10 ? "0" : "")\(hour):\(minutes)" }
        let twelve = hour % 12 == 0 ? 12 : hour % 12
        return "\(twelve):\(minutes) \(hour < 12 ? "AM" : "PM")"
    }
}

/// An amount of money in cents with its ISO 4217 code, from `12.50` or `EUR 12.50`.
struct MoneyAmount: Equatable {
    let cents: Int
    let currency: String

    static let symbols = ["USD": "$", "EUR": "€", "GBP": "£", "MXN": "MX$", "CAD": "CA$"]

    init?(parsing text: String) {
        var amount = text[...]
        var currency = "USD"
        if let space = text.firstIndex(of: " ") {
            let code = text[..<space]
            guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isUppercase }) else { return nil }
            currency = String(code)
            amount = text[text.index(after: space)...]
        }
        let halves = amount.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(halves.count), (1...9).contains(halves[0].count),
            halves.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
            halves.count == 1 || (1...2).contains(halves[1].count), let units = Int(halves[0])
        else { return nil }
        let fraction = halves.count == 2 ? (Int(halves[1]) ?? 0) * (halves[1].count == 1 ? 10 : 1) : 0
        cents = units * 100 + fraction
        self.currency = currency
    }

    /// "$1,234.50" (en), "1.234,50 €" (es); a currency without a symbol here: "1,234.50 CHF".
    func written(language: String) -> String {
        let (groupSeparator, decimalSeparator) = language == "es" ? (".", ",") : (",", ".")
        var digits = String(cents / 100)
        var grouped = ""
        while digits.count > 3 {
            grouped = groupSeparator + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        let fraction = cents % 100
        let number = digits + grouped + decimalSeparator + (fraction < 10 ? "0" : "") + String(fraction)
        guard let symbol = Self.symbols[currency] else { return "\(number) \(currency)" }
        return language == "es" ? "\(number) \(symbol)" : "\(symbol)\(number)"
    }
}

extension Character {
    /// `0`–`9` only (not other scripts' digits).
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
