/// The rows of one statement, copied out of libpq.
public struct PostgresResult: Sendable {
    /// One result column: its name and PostgreSQL type.
    public struct Column: Sendable, Equatable {
        public let name: String
        /// The type's OID (`pg_type.oid`): 20 for int8, 25 for text, 17 for bytea...
        public let typeOID: UInt32
    }

    public let columns: [Column]
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted or returned, as the command tag says (0 when it says none).
    public let affectedRows: Int

    /// The column called `name`, looked up once for every row of the result; throws `.bug` when
    /// the result has no such column.
    public func column(_ name: String) throws(PostgresError) -> PostgresColumn {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError(
                kind: .bug,
                message: "no column \"\(name)\" in the result (\(columns.map(\.name).joined(separator: ", ")))")
        }
        return PostgresColumn(index: index, name: name, typeOID: columns[index].typeOID)
    }
}

/// A column of a result, found by `PostgresResult.column(_:)`, to read from each of its rows.
public struct PostgresColumn: Sendable, Equatable {
    public let index: Int
    public let name: String
    public let typeOID: UInt32
}

/// One row of a result.
public struct PostgresRow: Sendable, Equatable {
    public let values: [PostgresValue]

    /// The value in `column`, as stored.
    public subscript(column: PostgresColumn) -> PostgresValue { values[column.index] }

    /// The value in `column` as `T`; throws `.bug` when the column is NULL (unless `T` is an
    /// Optional) or of another type.
    public func get<T: PostgresDecodable>(_ column: PostgresColumn, as type: T.Type = T.self) throws(PostgresError)
        -> T
    {
        try T.decode(values[column.index], column: column)
    }
}

/// A Swift type a column can be read as.
public protocol PostgresDecodable: Sendable {
    static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Self
}

extension PostgresDecodable {
    static func mistyped(_ value: PostgresValue, _ column: PostgresColumn) -> PostgresError {
        let found = if case .null = value { "NULL" } else { "of type OID \(column.typeOID)" }
        return PostgresError(kind: .bug, message: "column \"\(column.name)\" is \(found), not \(Self.self)")
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Int64 {
        guard case .integer(let integer) = value, column.typeOID != PostgresType.bool else {
            throw mistyped(value, column)
        }
        return integer
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Int {
        Int(try Int64.decode(value, column: column))
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Double {
        guard case .real(let real) = value else { throw mistyped(value, column) }
        return real
    }
}

extension String: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> String {
        guard case .text(let text) = value else { throw mistyped(value, column) }
        return text
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> [UInt8] {
        guard case .bytea(let bytes) = value else { throw mistyped(value, column) }
        return bytes
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Bool {
        guard case .integer(let integer) = value, column.typeOID == PostgresType.bool else {
            throw mistyped(value, column)
        }
        return integer != 0
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: PostgresColumn) throws(PostgresError) -> Wrapped? {
        if case .null = value { return nil }
        return try Wrapped.decode(value, column: column)
    }
}

/// The OIDs of the built-in types this module reads or sends specially.
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let oid: UInt32 = 26
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
}
