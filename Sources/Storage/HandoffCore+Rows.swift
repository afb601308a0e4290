public import DatabaseDriver
public import HandoffCore

// HandoffCore's states are stored as their raw text and read back through `Row.get`, which
// throws naming the column on a value that is none of their cases. (HandoffCore imports nothing,
// so the conformances live here.)
extension ConversationState: DatabaseDecodable {}
extension Channel: DatabaseDecodable {}
extension Direction: DatabaseDecodable {}
extension Author: DatabaseDecodable {}
extension OutboxKind: DatabaseDecodable {}
extension OutboxState: DatabaseDecodable {}
extension AgentRole: DatabaseDecodable {}
extension MessageIntent.Source: DatabaseDecodable {}
