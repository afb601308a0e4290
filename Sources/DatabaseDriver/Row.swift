/// The columns of one statement's result: their names in order and, found once for every row
/// of every execution, the index of each name. A driver builds one per prepared statement (or
/// per result) and shares it between the rows.
public final class RowColumns: Sendable {
    /// The column names, in result order.
    public let names: [String]
    /// The statement, for error messages.
    public let sql: String?
    private let indexes: [String: Int]

    public init(names: [String], sql: String?) {
        self.names = names
        self.sql = sql
        // A name that appears twice (`SELECT *` over a join) reads its first column, as SQL does.
        indexes = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The index of column `name`, nil when the result has none.
    public func index(of name: String) -> Int? { indexes[name] }
}

/// One result row, copied out of the driver, read by column name into typed values.
///
/// `get` throws a `decoding` error naming the column when the result has no such column, or
/// when its value is NULL or of another type than the one asked for (ask for an Optional to
/// allow NULL): a row never falls back to `""` or `0`.
public struct Row: Sendable, Equatable {
    public let columns: RowColumns
    public let values: [DatabaseValue]

    public init(columns: RowColumns, values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value in column `name` as `T`.
    ///
    /// Inlinable, so that the repositories' calls are specialized for their types: called
    /// generically across the module boundary, every column read looked up type metadata at run
    /// time (a few percent of a webhook's CPU).
    @inlinable
    public func get<T: DatabaseDecodable>(_ name: String, as type: T.Type = T.self) throws(StorageError) -> T {
        guard let index = columns.index(of: name) else { throw missingColumn(name) }
        let value = values[index]
        guard let decoded = T.decode(value) else { throw mistyped(name, value, as: T.self) }
        return decoded
    }

    @usableFromInline
    func missingColumn(_ name: String) -> StorageError {
        StorageError(
            kind: .decoding,
            message: "no column \"\(name)\" in the result (\(columns.names.joined(separator: ", ")))",
            sql: columns.sql)
    }

    @usableFromInline
    func mistyped(_ name: String, _ value: DatabaseValue, as type: Any.Type) -> StorageError {
        StorageError(kind: .decoding, message: "column \"\(name)\" is \(value.kindName), not \(type)", sql: columns.sql)
    }

    /// The value of the column at `index`, as stored.
    public subscript(index: Int) -> DatabaseValue { values[index] }

    public static func == (left: Row, right: Row) -> Bool {
        left.columns.names == right.columns.names && left.values == right.values
    }
}

/// A Swift type a column can be read as. `decode` returns nil for a value of another type (or
/// NULL, unless the type is an Optional); `Row.get` turns that into an error naming the column.
public protocol DatabaseDecodable {
    static func decode(_ value: DatabaseValue) -> Self?
}

extension DatabaseValue: DatabaseDecodable {
    @inlinable public static func decode(_ value: DatabaseValue) -> DatabaseValue? { value }
}

extension Int64: DatabaseDecodable {
    @inlinable public static func decode(_ value: DatabaseValue) -> Int64? {
        if case .integer(let integer) = value { integer } else { nil }
    }
}

extension Int: DatabaseDecodable {
    @inlinable public static func decode(_ value: DatabaseValue) -> Int? { Int64.decode(value).map { Int($0) } }
}

extension Double: DatabaseDecodable {
    /// A real, or an integer (SQLite returns whole numbers of an expression as integers).
    @inlinable public static func decode(_ value: DatabaseValue) -> Double? {
        switch value {
        case .real(let real): real
        case .integer(let integer): Double(integer)
        default: nil
        }
    }
}

extension Bool: DatabaseDecodable {
    /// An integer: 0 is false, any other is true (SQLite has no boolean; PostgreSQL's read as 0 or 1).
    @inlinable public static func decode(_ value: DatabaseValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

extension String: DatabaseDecodable {
    @inlinable public static func decode(_ value: DatabaseValue) -> String? {
        if case .text(let text) = value { text } else { nil }
    }
}

extension Array: DatabaseDecodable where Element == UInt8 {
    @inlinable public static func decode(_ value: DatabaseValue) -> [UInt8]? {
        if case .blob(let bytes) = value { bytes } else { nil }
    }
}

extension Optional: DatabaseDecodable where Wrapped: DatabaseDecodable {
    /// nil for NULL; otherwise the wrapped type's reading (a value of another type is still an error).
    @inlinable public static func decode(_ value: DatabaseValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.decode(value).map { .some($0) }
    }
}

extension DatabaseDecodable where Self: RawRepresentable, RawValue == String {
    /// A string-backed enumeration (a state, a channel...): text that is one of its raw values.
    @inlinable public static func decode(_ value: DatabaseValue) -> Self? {
        String.decode(value).flatMap(Self.init(rawValue:))
    }
}
