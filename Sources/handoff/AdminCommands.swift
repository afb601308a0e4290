import ArgumentParser
import Foundation
import HandoffDomain
import HandoffService

/// `handoff outbox list|replay|discard`: the work queued for the gateway and the business's webhooks.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect the outbox; replay or discard dead letters.",
        subcommands: [List.self, Replay.self, Discard.self]
    )

    /// `handoff outbox list [--state dead] [--kind webhook]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbox rows as JSON, oldest first.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "pending, sending, done, dead or discarded.") var state: String?
        @Option(help: "sms or webhook.") var kind: String?
        @Option(help: "The next_after of the previous page.") var after: String?
        @Option(help: "Rows per page (1-200).") var limit = 200

        func run() async throws {
            try await administer(options) {
                try Administration.prettyJSON(
                    try await $0.outbox(state: state, kind: kind, after: after, limit: min(max(limit, 1), 200)))
            }
        }
    }

    /// `handoff outbox replay ID`.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a dead-lettered row again from attempt one.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The id shown by `handoff outbox list --state dead`.") var id: String

        func run() async throws {
            try await administer(options) { try Administration.prettyJSON(try await $0.replay(id: id)) }
        }
    }

    /// `handoff outbox discard ID --reason TEXT`.
    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on a pending or dead-lettered row for good (a text is marked failed).")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The outbox row id.") var id: String
        @Option(help: "Why; kept as the row's last error.") var reason: String?

        func run() async throws {
            try await administer(options) {
                try Administration.prettyJSON(try await $0.discard(id: id, reason: reason))
            }
        }
    }
}

/// `handoff suppressions list|show|add|remove`: numbers that must not be texted, with their audit.
struct SuppressionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppressions",
        abstract: "Numbers that must not be texted; every change is audited.",
        subcommands: [List.self, Show.self, Add.self, Remove.self]
    )

    /// `handoff suppressions list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List suppressions as JSON, newest first.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The next_after of the previous page.") var after: String?
        @Option(help: "Rows per page (1-200).") var limit = 200

        func run() async throws {
            try await administer(options) {
                try Administration.prettyJSON(try await $0.suppressions(after: after, limit: min(max(limit, 1), 200)))
            }
        }
    }

    /// `handoff suppressions show --phone N`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One number's suppression and its audit.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number (or the sha256: form of an erased one).") var phone: String

        func run() async throws {
            try await administer(options) { try Administration.prettyJSON(try await $0.suppression(phone: phone)) }
        }
    }

    /// `handoff suppressions add --phone N --reason TEXT`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop texting a number (audited).")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number.") var phone: String
        @Option(help: "Why (kept in the audit).") var reason: String

        func run() async throws {
            try await administer(options) {
                try Administration.prettyJSON(try await $0.suppress(phone: phone, reason: reason, actor: "cli").0)
            }
        }
    }

    /// `handoff suppressions remove --phone N --reason TEXT`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a suppression (audited). A STOP is the customer's word: lift it only on theirs.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number (or the sha256: form of an erased one).") var phone: String
        @Option(help: "Why (kept in the audit).") var reason: String

        func run() async throws {
            try await administer(options) {
                try Administration.prettyJSON(try await $0.unsuppress(phone: phone, reason: reason, actor: "cli"))
            }
        }
    }
}

/// `handoff contacts export|erase --phone N`: data subject requests.
struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "Data subject requests: export or erase everything about one phone number.",
        subcommands: [Export.self, Erase.self]
    )

    /// `handoff contacts export --phone N`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print everything held about a number as JSON.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number.") var phone: String

        func run() async throws {
            try await administer(options) { try await $0.exportContact(phone: phone) }
        }
    }

    /// `handoff contacts erase --phone N`.
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a number's personal data; the consent ledger and a hashed suppression stay.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The phone number.") var phone: String

        func run() async throws {
            try await administer(options) { administration in
                let removed = try await administration.eraseContact(phone: phone)
                return Data(#"{"erased_rows":\#(removed)}"#.utf8)
            }
        }
    }
}

/// Runs one operator action on the configured database and prints its JSON, or the failure (exit 1).
func administer(_ options: ConfigOptions, _ action: (Administration) async throws -> Data) async throws {
    let configuration = try loadConfiguration(options).configuration
    do {
        let output = try await action(try Administration(configuration))
        FileHandle.standardOutput.write(output + Data("\n".utf8))
    } catch {
        printError(Administration.describe(error))
        throw ExitCode(1)
    }
}
