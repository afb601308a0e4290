import DatabaseDriver

extension Connection {
    /// The value of `column` in the one row `sql` returns: an aggregate (`count(*)`, `max(…)`: ask
    /// for an Optional when it may be NULL). A new row's key comes from `insert(_:_:returningKey:)`.
    /// A statement that returns no row is an error, never a default.
    func queryValue<Value: DatabaseDecodable>(
        _ sql: String, _ values: [DatabaseValue], column: String
    ) throws(StorageError) -> Value {
        guard let row = try queryOne(sql, values) else {
            throw StorageError(kind: .decoding, message: "no row to read \"\(column)\" from", sql: sql)
        }
        return try row.get(column)
    }
}
