/// A statement parameter, or a value read from a result.
///
/// Parameters: `.text`, `.integer` and `.real` go in text format with their type left to the
/// server (inferred from where the parameter stands, as if written as a literal); `.bytea` goes
/// in binary format as `bytea`, byte for byte. Results: `int2`, `int4`, `int8` and `oid` columns
/// read as `.integer`, `float4`/`float8` as `.real`, `bool` as `.integer` 0 or 1, `bytea` as
/// `.bytea`, every other type as `.text` in PostgreSQL's text form (numeric, timestamptz, uuid...).
public enum PostgresValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytea([UInt8])
}

extension PostgresValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension PostgresValue {
    /// The parameter's text form, for the text-format cases; nil for `.null` and `.bytea`.
    var parameterText: String? {
        switch self {
        case .null, .bytea: nil
        case .integer(let value): String(value)
        case .text(let value): value
        case .real(let value):
            // PostgreSQL spells these its own way; every finite Double prints in its shortest exact form.
            if value.isNaN {
                "NaN"
            } else if value.isInfinite {
                value < 0 ? "-Infinity" : "Infinity"
            } else {
                "\(value)"
            }
        }
    }
}
