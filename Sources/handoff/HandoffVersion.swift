/// The version printed by `handoff --version` and sent in the `Server` header's logs.
enum HandoffVersion {
    static let current = "0.1.0"
}
