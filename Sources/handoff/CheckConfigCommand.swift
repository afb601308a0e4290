import ArgumentParser
import Foundation
import HandoffService

/// `handoff check-config`: validates the configuration and prints the effective values.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective values, secrets masked."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let loaded = try loadConfiguration(options)
        for line in loaded.describe() { print(line) }
        for warning in loaded.warnings { printError("warning: \(warning)") }
        print("configuration OK")
    }
}

/// Loads the configuration or exits with status 78 (EX_CONFIG) and a message naming the setting.
func loadConfiguration(_ options: ConfigOptions) throws -> ConfigurationLoader.Loaded {
    do {
        return try ConfigurationLoader(environment: ProcessInfo.processInfo.environment).load(
            configPath: options.config)
    } catch {
        printError("invalid configuration: \(error.message)")
        throw ExitCode(78)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
