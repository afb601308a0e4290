import ArgumentParser
import HandoffDomain
import HandoffService

/// `handoff consents export --phone NUMBER`: a number's consent ledger as JSON, for proof.
struct ConsentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consents",
        abstract: "The consent ledger: every opt-in and opt-out, with the disclosure shown.",
        subcommands: [Export.self]
    )

    /// `handoff consents export`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Print one number's ledger as JSON, oldest first.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number (E.164, or national for the default region).") var phone: String

        func run() async throws {
            try await administer(options) { try Administration.prettyJSON(try await $0.consentLedger(phone: phone)) }
        }
    }
}
