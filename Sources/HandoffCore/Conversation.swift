/// Where a conversation stands: answered by bots, handed to the human queue, or over.
public enum ConversationState: String, Sendable, CaseIterable, Codable {
    case open, escalated, closed
}

/// How a message travels: the website's chat or a text message.
public enum Channel: String, Sendable, CaseIterable, Codable {
    case web, sms
}

/// Which way a message goes: from the customer (`inbound`) or to them (`outbound`).
public enum Direction: String, Sendable, CaseIterable, Codable {
    case inbound, outbound
}

/// Who wrote a message: the customer (`visitor`, on the web or by text), a bot, a human agent,
/// or Handoff itself (confirmations, holding texts).
public enum Author: String, Sendable, CaseIterable, Codable {
    case visitor, bot, agent, system
}
