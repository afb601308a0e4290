import Storage
import Synchronization

/// Wakes the live streams of a conversation (and the streams of every conversation) when its
/// event log grows, and tells the other nodes sharing the database when a commit of this one
/// changed what their streams or outbox wait for.
///
/// Carries no payloads: a woken stream reads the new events from the database, so a slow or
/// reconnecting stream never misses one and memory per idle stream stays a few hundred bytes.
package final class EventHub: Sendable {
    /// Nil with one node (SQLite); on PostgreSQL, a coalesced NOTIFY (see `ClusterWakeUps`).
    private let otherNodes: (@Sendable () -> Void)?

    package init(otherNodes: (@Sendable () -> Void)? = nil) {
        self.otherNodes = otherNodes
    }

    /// One open stream's registration; `stream` yields once per burst of new events.
    package struct Subscription: Sendable {
        let id: UInt64
        /// Nil: every conversation's events (the agents' stream).
        let conversationID: String?
        package let wakeUps: AsyncStream<Void>
    }

    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
        var everything: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let state = Mutex(State())
    /// Run after every publish, beside the streams (not counted as streams).
    private let observers = Mutex<[@Sendable () -> Void]>([])

    /// Runs `observer` whenever streams are woken (auto-assignment looks for work then).
    package func observe(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Subscribes to one conversation's events, or to every conversation's when nil.
    package func subscribe(conversationID: String?) -> Subscription {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            if let conversationID {
                state.subscribers[conversationID, default: [:]][state.nextID] = continuation
            } else {
                state.everything[state.nextID] = continuation
            }
            return state.nextID
        }
        return Subscription(id: id, conversationID: conversationID, wakeUps: stream)
    }

    package func unsubscribe(_ subscription: Subscription) {
        let continuation = state.withLock { state in
            guard let conversationID = subscription.conversationID else {
                return state.everything.removeValue(forKey: subscription.id)
            }
            let removed = state.subscribers[conversationID]?.removeValue(forKey: subscription.id)
            if state.subscribers[conversationID]?.isEmpty == true { state.subscribers[conversationID] = nil }
            return removed
        }
        continuation?.finish()
    }

    /// Wakes every stream of the conversations these committed events belong to, and every stream
    /// of all conversations.
    func publish(_ events: [ConversationEventRecord]) {
        publish(conversations: Set(events.map(\.conversationID)))
    }

    /// Wakes every stream of these conversations, and every stream of all conversations.
    func publish(conversations: Set<String>) {
        guard !conversations.isEmpty else { return }
        let continuations = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            // Most commits have no stream to wake: nothing is collected for them.
            if state.everything.isEmpty && state.subscribers.isEmpty { return [] }
            return conversations.flatMap { state.subscribers[$0].map { Array($0.values) } ?? [] }
                + Array(state.everything.values)
        }
        for continuation in continuations { continuation.yield() }
        for observer in observers.withLock({ $0 }) { observer() }
    }

    /// After a commit that appended events or queued outbox rows: the other nodes hear of it.
    func announceToOtherNodes() { otherNodes?() }

    /// Open streams, for metrics.
    package var subscriberCount: Int {
        state.withLock { $0.subscribers.values.reduce($0.everything.count) { $0 + $1.count } }
    }
}
