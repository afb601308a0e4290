/// What a named agent may do: an `agent` works conversations (assigns them to itself); a
/// `supervisor` also assigns them to others and takes them over (`force`).
public enum AgentRole: String, Sendable, CaseIterable, Codable {
    case agent, supervisor
}
