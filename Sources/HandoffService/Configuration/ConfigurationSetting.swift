/// One configuration setting: its config-file key, environment name, default, help text and
/// how a text value is validated and applied.
public struct ConfigurationSetting: Sendable {
    /// The key in the config file, e.g. `listen`.
    public let key: String
    /// What `check-config` and the example config show as the default.
    public let defaultDescription: String
    /// One sentence for operators.
    public let help: String
    /// Secrets come only from the environment or from a file named by `<key>_file`.
    public let isSecret: Bool
    /// Validates `text` and stores it; throws a sentence describing what is wrong.
    let apply: @Sendable (inout Configuration, String) throws -> Void
    /// The effective value, for display (secrets are masked by the caller).
    let current: @Sendable (Configuration) -> String?

    /// The environment variable, e.g. `HANDOFF_LISTEN`.
    public var environmentName: String { "HANDOFF_" + key.uppercased() }

    /// The `_file` companion of a secret: `HANDOFF_API_KEYS_FILE` / `api_keys_file`.
    public var fileKey: String { key + "_file" }
}

/// Why a text value was refused; becomes part of the `invalid_setting` message.
struct SettingProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
