import Synchronization

/// Spaces sends at most `perSecond` a second (a token bucket of one), for gateways that do not
/// queue on their side; zero turns it off.
package final class SendPacer: Sendable {
    private let interval: Duration?
    private let nextSlot = Mutex(ContinuousClock.now)

    init(perSecond: Int) {
        interval = perSecond > 0 ? .nanoseconds(1_000_000_000 / perSecond) : nil
    }

    /// Waits for this send's slot.
    func wait() async {
        guard let interval else { return }
        let now = ContinuousClock.now
        let slot = nextSlot.withLock { next in
            let slot = max(next, now)
            next = slot + interval
            return slot
        }
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
