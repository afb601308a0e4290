import Storage
import Synchronization

/// Wakes the live streams of a conversation when its event log grows.
///
/// Carries no payloads: a woken stream reads the new events from the database, so a slow or
/// reconnecting stream never misses one and memory per idle stream stays a few hundred bytes.
final class EventHub: Sendable {
    /// One open stream's registration; `stream` yields once per burst of new events.
    struct Subscription: Sendable {
        let id: UInt64
        let conversationID: String
        let wakeUps: AsyncStream<Void>
    }

    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
    }

    private let state = Mutex(State())

    func subscribe(conversationID: String) -> Subscription {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[conversationID, default: [:]][state.nextID] = continuation
            return state.nextID
        }
        return Subscription(id: id, conversationID: conversationID, wakeUps: stream)
    }

    func unsubscribe(_ subscription: Subscription) {
        let continuation = state.withLock { state in
            let removed = state.subscribers[subscription.conversationID]?.removeValue(forKey: subscription.id)
            if state.subscribers[subscription.conversationID]?.isEmpty == true {
                state.subscribers[subscription.conversationID] = nil
            }
            return removed
        }
        continuation?.finish()
    }

    /// Wakes every stream of the conversations these committed events belong to.
    func publish(_ events: [ConversationEventRecord]) {
        let conversations = Set(events.map(\.conversationID))
        let continuations = state.withLock { state in
            conversations.flatMap { state.subscribers[$0].map { Array($0.values) } ?? [] }
        }
        for continuation in continuations { continuation.yield() }
    }

    /// Open streams, for metrics.
    var subscriberCount: Int { state.withLock { $0.subscribers.values.reduce(0) { $0 + $1.count } } }
}
