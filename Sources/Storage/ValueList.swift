import DatabaseDriver

/// The placeholders and values of an `IN (…)` list. Each driver prepares a statement once per SQL
/// text and keeps it for the connection's life, so the list is padded to the next power of two by
/// repeating its last value (which changes no result): lists of 1 to 256 values share nine texts.
struct ValueList {
    let placeholders: String
    let values: [DatabaseValue]

    /// Nil for no values: `IN ()` is no SQL, and a list of nothing matches nothing.
    init?(_ values: [DatabaseValue]) {
        guard let last = values.last else { return nil }
        var size = 1
        while size < values.count { size *= 2 }
        self.values = values + Array(repeating: last, count: size - values.count)
        placeholders = Array(repeating: "?", count: size).joined(separator: ", ")
    }
}
