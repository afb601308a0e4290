/// The delivery status of an SMS as the API shows it, and the rule that it only moves forward.
public enum DeliveryStatus: String, Sendable, CaseIterable {
    case queued, sending, sent, delivered, undelivered, failed, suppressed, deferred
    /// Withdrawn before it left (a proactive text canceled while it waited): never sent.
    case canceled

    /// Maps a gateway's status word to ours (`accepted` → queued, `read` → delivered, ...); nil for
    /// words that say nothing about an outbound message.
    public init?(gatewayStatus: String) {
        switch gatewayStatus.lowercased() {
        case "accepted", "scheduled", "queued": self = .queued
        case "sending": self = .sending
        case "sent": self = .sent
        case "delivered", "read", "partially_delivered": self = .delivered
        case "undelivered": self = .undelivered
        case "failed", "canceled": self = .failed
        default: return nil
        }
    }

    /// How far along a message is; a status never gives way to one of a lower rank.
    var rank: Int {
        switch self {
        case .deferred, .queued: 0
        case .sending: 1
        case .sent: 2
        case .delivered, .undelivered, .failed, .suppressed, .canceled: 3
        }
    }

    /// Final: no report changes it (callbacks arrive out of order and more than once).
    public var isTerminal: Bool { rank == 3 }

    /// Whether a report of `next` may replace this status: only forward, never out of a final one.
    public func canAdvance(to next: DeliveryStatus) -> Bool {
        !isTerminal && next.rank > rank
    }
}
