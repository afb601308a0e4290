/// A value a statement binds or a row holds, in every driver: SQLite's storage classes, which
/// PostgreSQL's types map onto (a driver documents how).
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension DatabaseValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension DatabaseValue {
    /// An integer value from an `Int`.
    public static func int(_ value: Int) -> DatabaseValue { .integer(Int64(value)) }

    /// Text, or NULL for nil.
    public static func optionalText(_ value: String?) -> DatabaseValue { value.map { .text($0) } ?? .null }

    /// An integer, or NULL for nil.
    public static func optionalInt(_ value: Int?) -> DatabaseValue { value.map { .integer(Int64($0)) } ?? .null }

    /// An integer, or NULL for nil.
    public static func optionalInteger(_ value: Int64?) -> DatabaseValue { value.map { .integer($0) } ?? .null }

    /// A string-backed enumeration (a state, a channel...) as its raw text.
    public static func text<Value: RawRepresentable<String>>(_ value: Value) -> DatabaseValue { .text(value.rawValue) }

    /// What kind of value this is, for error messages (never the value: it may be personal data).
    var kindName: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real"
        case .text: "text"
        case .blob: "a blob"
        }
    }
}
