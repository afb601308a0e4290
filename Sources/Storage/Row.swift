/// One result row, copied out of SQLite, readable by column name or index.
public struct Row: Sendable, Equatable {
    public let columns: [String]
    public let values: [DatabaseValue]

    public init(columns: [String], values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of column `name`; `.null` when there is no such column.
    public subscript(name: String) -> DatabaseValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    public subscript(index: Int) -> DatabaseValue { values[index] }

    public func isNull(_ name: String) -> Bool { self[name] == .null }

    /// The integer in `name`, or nil when it is NULL or not an integer.
    public func int64(_ name: String) -> Int64? {
        if case .integer(let value) = self[name] { return value }
        return nil
    }

    public func int(_ name: String) -> Int? { int64(name).map { Int($0) } }

    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The text in `name`, or nil when it is NULL or not text.
    public func string(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    public func blob(_ name: String) -> [UInt8]? {
        switch self[name] {
        case .blob(let value): value
        case .text(let value): Array(value.utf8)
        default: nil
        }
    }

    public func bool(_ name: String) -> Bool? { int64(name).map { $0 != 0 } }
}
