import Foundation
import Yams

/// Builds the effective `Configuration` from embedded defaults, an optional YAML config file and
/// `HANDOFF_*` environment variables (the environment wins), and says exactly what is wrong.
public struct ConfigurationLoader: Sendable {
    /// Where an effective value came from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case defaultValue
        case file(path: String, line: Int)
        case environment(String)

        public var description: String {
            switch self {
            case .defaultValue: "default"
            case .file(let path, let line): "\(path):\(line)"
            case .environment(let name): "environment \(name)"
            }
        }
    }

    /// A loaded configuration with the source of every value and non-fatal warnings.
    public struct Loaded: Sendable {
        public var configuration: Configuration
        public var sources: [String: Source]
        public var warnings: [String]
    }

    public var environment: [String: String]

    /// A loader reading `environment` (pass `ProcessInfo.processInfo.environment` in the daemon).
    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Loads `configPath` (nil: defaults and environment only).
    public func load(configPath: String?) throws(HandoffServiceError) -> Loaded {
        var fileValues: [String: (value: String, line: Int)] = [:]
        if let configPath {
            let text: String
            do {
                text = try String(contentsOfFile: configPath, encoding: .utf8)
            } catch {
                throw HandoffServiceError(
                    code: "config_unreadable",
                    message: "cannot read config file \(configPath): \(error.localizedDescription)")
            }
            fileValues = try Self.parseFile(text, path: configPath)
        }
        return try load(fileValues: fileValues, filePath: configPath ?? "")
    }

    /// Parses the YAML text of a config file into flat `key: value` texts with their line numbers.
    static func parseFile(_ text: String, path: String) throws(HandoffServiceError) -> [String: (
        value: String, line: Int
    )] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw HandoffServiceError(code: "config_syntax", message: "\(path) is not valid YAML: \(error)")
        }
        guard let root else { return [:] }
        guard case .mapping(let mapping) = root else {
            throw HandoffServiceError(code: "config_syntax", message: "\(path) must be a mapping of setting: value")
        }
        var values: [String: (value: String, line: Int)] = [:]
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 0
            guard let key = keyNode.string else {
                throw HandoffServiceError(code: "config_syntax", message: "\(path):\(line): setting names must be text")
            }
            let value: String
            switch valueNode {
            case .scalar(let scalar):
                value = valueNode.null == nil ? scalar.string : ""
            case .sequence(let sequence) where sequence.allSatisfy({ $0.scalar != nil }):
                value = sequence.compactMap(\.string).joined(separator: ",")
            case .sequence:
                // A list of mappings (programs:, queues:): the setting reads it back as YAML.
                do {
                    value = try Yams.serialize(node: valueNode)
                } catch {
                    throw HandoffServiceError(code: "config_syntax", message: "\(path):\(line): `\(key)`: \(error)")
                }
            default:
                throw HandoffServiceError(
                    code: "config_syntax", message: "\(path):\(line): `\(key)` must be a single value or a list")
            }
            values[key] = (value, line)
        }
        return values
    }

    func load(fileValues: [String: (value: String, line: Int)], filePath: String) throws(HandoffServiceError) -> Loaded
    {
        let settings = Configuration.settings
        let knownKeys = Set(settings.map(\.key) + settings.filter(\.isSecret).map(\.fileKey))
        for (key, entry) in fileValues.sorted(by: { $0.value.line < $1.value.line }) where !knownKeys.contains(key) {
            throw HandoffServiceError(
                code: "unknown_setting", message: "\(filePath):\(entry.line): unknown setting `\(key)`", field: key)
        }
        var warnings: [String] = []
        let knownEnvironment = Set(
            settings.map(\.environmentName) + settings.filter(\.isSecret).map(fileEnvironmentName))
        for name in environment.keys.sorted() where name.hasPrefix("HANDOFF_") && !knownEnvironment.contains(name) {
            if !name.hasPrefix("HANDOFF_TEST_") { warnings.append("unknown environment variable \(name) is ignored") }
        }

        var configuration = Configuration()
        var sources: [String: Source] = [:]
        for setting in settings {
            if setting.isSecret, let entry = fileValues[setting.key] {
                throw HandoffServiceError(
                    code: "secret_in_config_file",
                    message: "\(filePath):\(entry.line): `\(setting.key)` is a secret: set \(setting.environmentName) "
                        + "in the environment or `\(setting.fileKey)` to a file holding it",
                    field: setting.environmentName)
            }
            guard let (text, source) = try rawValue(for: setting, fileValues: fileValues, filePath: filePath) else {
                sources[setting.key] = .defaultValue
                continue
            }
            do {
                try setting.apply(&configuration, text)
            } catch {
                let problem = (error as? SettingProblem)?.message ?? "\(error)"
                throw .invalidSetting(setting, problem, source: source.description)
            }
            sources[setting.key] = source
        }
        if sources["public_url"] == .defaultValue {
            configuration.publicURL = "http://\(configuration.listen)"
        }
        if sources["widget_origins"] == .defaultValue {
            configuration.widgetOrigins = [Self.origin(of: configuration.publicURL)]
        }
        if sources["max_connections_per_address"] == .defaultValue {
            configuration.maxConnectionsPerAddress = min(128, max(2, configuration.maxConnections / 5))
        }
        if sources["max_event_streams"] == .defaultValue {
            configuration.maxEventStreams = configuration.maxConnections * 4 / 5
        }
        try validate(configuration)
        do {
            try configuration.intents.check(queues: configuration.queues)
        } catch {
            throw .invalidSetting(
                Configuration.settings.first { $0.key == "intents" }!, error.message, source: "—")
        }
        return Loaded(configuration: configuration, sources: sources, warnings: warnings)
    }

    private func fileEnvironmentName(_ setting: ConfigurationSetting) -> String { setting.environmentName + "_FILE" }

    /// The text for one setting and where it came from, reading `_file` companions of secrets.
    private func rawValue(
        for setting: ConfigurationSetting, fileValues: [String: (value: String, line: Int)], filePath: String
    ) throws(HandoffServiceError) -> (String, Source)? {
        if let value = environment[setting.environmentName] {
            return (value, .environment(setting.environmentName))
        }
        if !setting.isSecret, let entry = fileValues[setting.key] {
            return (entry.value, .file(path: filePath, line: entry.line))
        }
        guard setting.isSecret else { return nil }
        let secretFile: (path: String, source: Source)?
        if let path = environment[fileEnvironmentName(setting)] {
            secretFile = (path, .environment(fileEnvironmentName(setting)))
        } else if let entry = fileValues[setting.fileKey] {
            secretFile = (entry.value, .file(path: filePath, line: entry.line))
        } else {
            secretFile = nil
        }
        guard let secretFile else { return nil }
        do {
            let contents = try String(contentsOfFile: secretFile.path, encoding: .utf8)
            let value = contents.split(whereSeparator: \.isNewline).map { String($0.trimmingCharacters(in: " \t")) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }.joined(separator: ",")
            return (value, secretFile.source)
        } catch {
            throw .invalidSetting(
                setting, "cannot read secret file \(secretFile.path)", source: secretFile.source.description)
        }
    }

    /// Cross-setting rules that no single setting can check.
    private func validate(_ configuration: Configuration) throws(HandoffServiceError) {
        let setting = { (key: String) in Configuration.settings.first { $0.key == key }! }
        if configuration.maxEventStreams >= configuration.maxConnections {
            throw .invalidSetting(
                setting("max_event_streams"),
                "must be below max_connections (\(configuration.maxConnections)) so ordinary requests keep connections",
                source: "—")
        }
        do {
            try configuration.programs.checkKeywords(against: configuration.keywordVocabulary)
        } catch {
            throw .invalidSetting(setting("programs"), "\(error.field ?? "programs"): \(error.message)", source: "—")
        }
        if configuration.classifierURL != nil && configuration.classifierSecret == nil {
            throw .invalidSetting(
                setting("classifier_secret"), "required when classifier_url is set: classifier requests are signed",
                source: "—")
        }
        if configuration.eventWebhookURL != nil && configuration.eventWebhookSecret == nil {
            throw .invalidSetting(
                setting("event_webhook_secret"),
                "required when event_webhook_url is set: business events are always signed", source: "—")
        }
        // The simulator shows every code and fakes signed texts from any number (`/sim`): it,
        // and the demo page that drives it, never face a network.
        if configuration.gateway == .simulator && !configuration.listen.isLoopback {
            throw .invalidSetting(
                setting("gateway"),
                "the built-in simulator runs only on a loopback listen address, not \(configuration.listen); "
                    + "set gateway: twilio with its credentials to serve on a network",
                source: "—")
        }
        guard configuration.gateway == .twilio else { return }
        if configuration.twilioAccountSID == nil {
            throw .invalidSetting(setting("twilio_account_sid"), "required when gateway is twilio", source: "—")
        }
        if configuration.twilioAuthToken == nil {
            throw .invalidSetting(setting("twilio_auth_token"), "required when gateway is twilio", source: "—")
        }
        if configuration.twilioFrom == nil && configuration.twilioMessagingServiceSID == nil {
            throw .invalidSetting(
                setting("twilio_from"), "set a sender number or twilio_messaging_service_sid", source: "—")
        }
    }

    /// `scheme://host[:port]` of an absolute URL, lowercased.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url.lowercased() }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        return (url[..<schemeEnd.upperBound] + authority).lowercased()
    }
}

extension ConfigurationLoader.Loaded {
    /// `key = value  (source)` lines for `handoff check-config`, secrets masked.
    public func describe() -> [String] {
        Configuration.settings.map { setting in
            let value = setting.current(configuration) ?? ""
            let shown =
                setting.isSecret && !value.isEmpty ? "******** (\(value.split(separator: ",").count) set)" : value
            return "\(setting.environmentName)=\(shown)  # \(sources[setting.key]?.description ?? "default")"
        }
    }
}
