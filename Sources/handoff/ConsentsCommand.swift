import ArgumentParser
import Foundation
import HandoffService

/// `handoff consents export --phone NUMBER`: a number's consent ledger as JSON, for proof.
struct ConsentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consents",
        abstract: "The consent ledger: every opt-in and opt-out, with the disclosure shown.",
        subcommands: [Export.self]
    )

    /// `handoff consents export`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Print one number's ledger as JSON, oldest first.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number (E.164, or national for the default region).") var phone: String

        func run() throws {
            let configuration = try loadConfiguration(options).configuration
            do {
                let json = try ConsentExport.json(configuration, phone: phone)
                FileHandle.standardOutput.write(json + Data("\n".utf8))
            } catch {
                printError("cannot export: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
