import Foundation
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

@Suite struct ConfigurationLoaderTests {
    private func load(file: String? = nil, env: [String: String] = [:]) throws -> ConfigurationLoader.Loaded {
        let directory = try TemporaryDirectory()
        var path: String?
        if let file {
            path = directory.file("handoff.yaml").path
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        return try ConfigurationLoader(environment: env).load(configPath: path)
    }

    private func failure(file: String? = nil, env: [String: String] = [:]) -> HandoffServiceError? {
        do {
            _ = try load(file: file, env: env)
            return nil
        } catch let error as HandoffServiceError {
            return error
        } catch {
            return HandoffServiceError(code: "unexpected", message: "\(error)")
        }
    }

    @Test func embeddedDefaultsMatchTheContract() throws {
        let loaded = try load()
        let config = loaded.configuration
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.databasePath == "./data/handoff.sqlite")
        #expect(config.migrationsDirectory == "./migrations")
        #expect(config.publicURL == "http://127.0.0.1:8080")
        #expect(config.widgetOrigins == ["http://127.0.0.1:8080"])
        #expect(config.gateway == .simulator)
        #expect(config.cookieSecure)
        #expect(config.defaultRegion == "US")
        #expect(config.databaseSynchronous == .full)
        #expect(config.logLevel == .info)
        #expect(config.logFormat == .logfmt)
        #expect(config.twilioAPIBase == "https://api.twilio.com")
    }

    @Test func environmentWinsOverTheFile() throws {
        let loaded = try load(
            file: "listen: 0.0.0.0:9000\nlog_level: debug\n",
            env: ["HANDOFF_LISTEN": "[::1]:7000"])
        #expect(loaded.configuration.listen == ListenAddress(host: "::1", port: 7000))
        #expect(loaded.configuration.logLevel == .debug)
        #expect(loaded.configuration.publicURL == "http://[::1]:7000")
        #expect(loaded.sources["listen"] == .environment("HANDOFF_LISTEN"))
        #expect(loaded.sources["log_level"]?.description.hasSuffix(":2") == true)
    }

    @Test func publicURLDrivesTheDefaultWidgetOrigin() throws {
        let config = try load(env: ["HANDOFF_PUBLIC_URL": "https://Chat.Example.com:8443/handoff/"]).configuration
        #expect(config.publicURL == "https://Chat.Example.com:8443/handoff")
        #expect(config.widgetOrigins == ["https://chat.example.com:8443"])
    }

    @Test(arguments: [
        ("HANDOFF_LISTEN", "localhost", "HANDOFF_LISTEN"),
        ("HANDOFF_LISTEN", "300.1.1.1:80", "HANDOFF_LISTEN"),
        ("HANDOFF_LISTEN", "127.0.0.1:70000", "HANDOFF_LISTEN"),
        ("HANDOFF_GATEWAY", "carrier-pigeon", "HANDOFF_GATEWAY"),
        ("HANDOFF_DB_SYNCHRONOUS", "off", "HANDOFF_DB_SYNCHRONOUS"),
        ("HANDOFF_PUBLIC_URL", "ftp://example.com", "HANDOFF_PUBLIC_URL"),
        ("HANDOFF_COOKIE_SECURE", "maybe", "HANDOFF_COOKIE_SECURE"),
        ("HANDOFF_DEFAULT_REGION", "usa", "HANDOFF_DEFAULT_REGION"),
        ("HANDOFF_HEADER_TIMEOUT", "soon", "HANDOFF_HEADER_TIMEOUT"),
        ("HANDOFF_WIDGET_ORIGINS", "https://a.example/path", "HANDOFF_WIDGET_ORIGINS"),
        ("HANDOFF_API_KEYS", "short", "HANDOFF_API_KEYS"),
        ("HANDOFF_METRICS_TOKEN", "short", "HANDOFF_METRICS_TOKEN"),
        ("HANDOFF_METRICS_TOKEN", "one-token-0123456789,another-0123456789", "HANDOFF_METRICS_TOKEN"),
        ("HANDOFF_MAX_EVENT_STREAMS", "10000", "HANDOFF_MAX_EVENT_STREAMS"),
    ])
    func invalidValuesNameTheirSetting(name: String, value: String, expected: String) {
        let error = failure(env: [name: value])
        #expect(error?.code == "invalid_setting")
        #expect(error?.field == expected)
        #expect(error?.message.contains(expected) == true)
    }

    @Test func connectionLimitsFollowMaxConnectionsUnlessSet() throws {
        let small = try load(env: ["HANDOFF_MAX_CONNECTIONS": "40"]).configuration
        #expect(small.maxConnectionsPerAddress == 8 && small.maxEventStreams == 32)
        let large = try load(env: ["HANDOFF_MAX_CONNECTIONS": "100000"]).configuration
        #expect(large.maxConnectionsPerAddress == 128 && large.maxEventStreams == 80_000)
        let set = try load(env: ["HANDOFF_MAX_CONNECTIONS_PER_ADDRESS": "500", "HANDOFF_MAX_EVENT_STREAMS": "10"])
        #expect(set.configuration.maxConnectionsPerAddress == 500 && set.configuration.maxEventStreams == 10)
    }

    @Test func unknownFileKeysAreRefusedWithTheirLine() {
        let error = failure(file: "listen: 127.0.0.1:8080\nlisten_adress: 0.0.0.0:1\n")
        #expect(error?.code == "unknown_setting")
        #expect(error?.message.contains(":2") == true)
        #expect(error?.message.contains("listen_adress") == true)
    }

    @Test func secretsAreRefusedInTheConfigFile() {
        let error = failure(file: "twilio_auth_token: abc\n")
        #expect(error?.code == "secret_in_config_file")
        #expect(error?.message.contains("HANDOFF_TWILIO_AUTH_TOKEN") == true)
        #expect(error?.message.contains("abc") == false)
    }

    @Test func secretsComeFromFiles() throws {
        let directory = try TemporaryDirectory()
        let keys = directory.file("keys")
        try "# bot keys\nkey-one-0123456789abcdef\n\nkey-two-0123456789abcdef\n".write(
            to: keys, atomically: true, encoding: .utf8)
        let config = try ConfigurationLoader(environment: ["HANDOFF_API_KEYS_FILE": keys.path]).load(configPath: nil)
        #expect(config.configuration.apiKeys == ["key-one-0123456789abcdef", "key-two-0123456789abcdef"])
        let shown = config.describe().first { $0.hasPrefix("HANDOFF_API_KEYS=") }
        #expect(shown?.contains("key-one") == false)
        #expect(shown?.contains("2 set") == true)
    }

    @Test func twilioNeedsCredentialsAndASender() throws {
        #expect(failure(env: ["HANDOFF_GATEWAY": "twilio"])?.field == "HANDOFF_TWILIO_ACCOUNT_SID")
        #expect(
            failure(env: ["HANDOFF_GATEWAY": "twilio", "HANDOFF_TWILIO_ACCOUNT_SID": "AC1"])?.field
                == "HANDOFF_TWILIO_AUTH_TOKEN")
        let complete = [
            "HANDOFF_GATEWAY": "twilio", "HANDOFF_TWILIO_ACCOUNT_SID": "AC1", "HANDOFF_TWILIO_AUTH_TOKEN": "t",
        ]
        #expect(failure(env: complete)?.field == "HANDOFF_TWILIO_FROM")
        var withSender = complete
        withSender["HANDOFF_TWILIO_FROM"] = "+15005550006"
        #expect(try load(env: withSender).configuration.gateway == .twilio)
    }

    @Test func theSimulatorServesOnLoopbackOnly() throws {
        let exposed = failure(env: ["HANDOFF_LISTEN": "0.0.0.0:8080", "HANDOFF_PUBLIC_URL": "https://chat.example.com"])
        #expect(exposed?.field == "HANDOFF_GATEWAY")
        #expect(exposed?.message.contains("loopback") == true && exposed?.message.contains("twilio") == true)
        #expect(failure(env: ["HANDOFF_LISTEN": "[::]:8080"])?.field == "HANDOFF_GATEWAY")
        for loopback in ["127.0.0.1:8080", "127.0.1.1:8080", "[::1]:8080", "localhost:8080"] {
            #expect(try load(env: ["HANDOFF_LISTEN": loopback]).configuration.gateway == .simulator)
        }
        let twilio = [
            "HANDOFF_LISTEN": "0.0.0.0:8080", "HANDOFF_GATEWAY": "twilio", "HANDOFF_TWILIO_ACCOUNT_SID": "AC1",
            "HANDOFF_TWILIO_AUTH_TOKEN": "t", "HANDOFF_TWILIO_FROM": "+15005550006",
        ]
        #expect(try load(env: twilio).configuration.listen.host == "0.0.0.0")
    }

    @Test func eventWebhooksAreNeverUnsigned() throws {
        let unsigned = failure(env: ["HANDOFF_EVENT_WEBHOOK_URL": "https://crm.example.com/hooks"])
        #expect(unsigned?.field == "HANDOFF_EVENT_WEBHOOK_SECRET")
        let signed = try load(env: [
            "HANDOFF_EVENT_WEBHOOK_URL": "https://crm.example.com/hooks", "HANDOFF_EVENT_WEBHOOK_SECRET": "s3cret",
        ])
        #expect(signed.configuration.eventWebhookSecret == "s3cret")
    }

    @Test func durationsAcceptUnits() throws {
        let config = try load(file: "header_timeout: 500ms\nbody_timeout: 2m\nidle_timeout: 15\n").configuration
        #expect(config.headerTimeout == .milliseconds(500))
        #expect(config.bodyTimeout == .seconds(120))
        #expect(config.idleTimeout == .seconds(15))
    }

    @Test func listsAcceptYAMLSequences() throws {
        let config = try load(file: "widget_origins:\n  - https://a.example\n  - https://b.example:8443\n")
            .configuration
        #expect(config.widgetOrigins == ["https://a.example", "https://b.example:8443"])
    }

    @Test func malformedYAMLIsAClearError() {
        #expect(failure(file: "listen: [unclosed\n")?.code == "config_syntax")
        #expect(failure(file: "- just\n- a list\n")?.code == "config_syntax")
    }

    @Test func unknownEnvironmentVariablesAreWarnedAbout() throws {
        let loaded = try load(env: ["HANDOFF_LISTNE": "x"])
        #expect(loaded.warnings == ["unknown environment variable HANDOFF_LISTNE is ignored"])
    }
}

@Suite struct ExampleConfigurationTests {
    private static let examplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/handoff.example.yaml")

    @Test func theExampleLoadsAndEqualsTheDefaults() throws {
        let loaded = try ConfigurationLoader(environment: [:]).load(configPath: Self.examplePath.path)
        #expect(loaded.configuration == Configuration.defaultsResolved)
    }

    @Test func theExampleDisclosuresLoad() throws {
        let path = Self.examplePath.deletingLastPathComponent().appendingPathComponent("consent-texts.example.yaml")
            .path
        let loaded = try ConfigurationLoader(environment: ["HANDOFF_CONSENT_TEXTS": path]).load(configPath: nil)
        #expect(loaded.configuration.consentTexts["es"]?.hasPrefix("Acepto") == true)
        #expect(loaded.configuration.consentTexts["fr"] != nil)
        #expect(throws: HandoffServiceError.self) {
            try ConfigurationLoader(environment: ["HANDOFF_CONSENT_TEXTS": "/nonexistent.yaml"]).load(configPath: nil)
        }
    }

    @Test func theExampleDocumentsEverySetting() throws {
        let text = try String(contentsOf: Self.examplePath, encoding: .utf8)
        for setting in Configuration.settings {
            let documented = setting.isSecret ? setting.fileKey : setting.key
            #expect(text.contains("\(documented):"), "config/handoff.example.yaml does not mention \(documented)")
        }
    }
}

extension Configuration {
    /// The embedded defaults with derived values filled in, as the loader produces them.
    fileprivate static var defaultsResolved: Configuration {
        var config = Configuration()
        config.widgetOrigins = ["http://127.0.0.1:8080"]
        return config
    }
}
