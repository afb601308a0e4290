import Synchronization

/// Milliseconds the test moves by hand.
final class TestClock: Sendable {
    private let value = Atomic<Int64>(1_000_000)
    var now: Int64 { value.load(ordering: .relaxed) }
    func advance(by delta: Int64) { value.add(delta, ordering: .relaxed) }
}
