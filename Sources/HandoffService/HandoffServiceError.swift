/// The one error type of HandoffService: a use case or the configuration said no.
///
/// `code` is stable snake_case; `message` is a sentence without personal data; `field` names the
/// request field or configuration setting at fault.
public struct HandoffServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }

    /// An invalid configuration setting, named by its environment variable.
    static func invalidSetting(_ setting: ConfigurationSetting, _ problem: String, source: String) -> Self {
        HandoffServiceError(
            code: "invalid_setting",
            message: "\(setting.environmentName) (`\(setting.key)` in the config file), from \(source): \(problem)",
            field: setting.environmentName
        )
    }
}
