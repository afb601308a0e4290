import Synchronization

/// A value SIGHUP can replace while requests read it: readers take the current value as a whole,
/// a reload swaps it as a whole, so no reader ever sees half of an old and half of a new setting.
package final class Reloadable<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    package init(_ value: Value) { storage = Mutex(value) }

    package var value: Value { storage.withLock { $0 } }

    package func replace(with value: Value) { storage.withLock { $0 = value } }
}
