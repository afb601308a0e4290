import ArgumentParser
import Foundation
import HandoffService

/// `handoff contacts export|erase --phone N`: data subject requests.
struct ContactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "Data subject requests: export or erase everything about one phone number.",
        subcommands: [Export.self, Erase.self]
    )

    /// `handoff contacts export --phone N`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Print everything held about a number as JSON.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number.") var phone: String

        func run() throws {
            let configuration = try loadConfiguration(options).configuration
            do {
                FileHandle.standardOutput.write(try PersonalData.export(configuration, phone: phone) + Data("\n".utf8))
            } catch {
                printError("cannot export: \(error)")
                throw ExitCode(1)
            }
        }
    }

    /// `handoff contacts erase --phone N`.
    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase a number's personal data; the consent ledger and a hashed suppression stay.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number.") var phone: String

        func run() throws {
            let configuration = try loadConfiguration(options).configuration
            do {
                let removed = try PersonalData.erase(configuration, phone: phone)
                print("erased \(removed) rows; the consent ledger and any suppression (hashed) are kept")
            } catch {
                printError("cannot erase: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
