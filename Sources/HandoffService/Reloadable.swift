import Synchronization

/// A value SIGHUP can replace while requests read it: readers take the current value as a whole,
/// a reload swaps it as a whole, so no reader ever sees half of an old and half of a new setting.
final class Reloadable<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value { storage.withLock { $0 } }

    func replace(with value: Value) { storage.withLock { $0 = value } }
}
