import ArgumentParser
import HandoffService

/// `handoff webhooks`: the business event webhooks that could not be delivered.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Inspect and replay dead-lettered business event webhooks.",
        subcommands: [DeadLetters.self, Replay.self]
    )

    /// `handoff webhooks dead-letters`.
    struct DeadLetters: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead-letters", abstract: "List event webhooks that were given up on.")

        @OptionGroup var options: ConfigOptions

        func run() throws {
            let configuration = try loadConfiguration(options).configuration
            let letters = try OutboxAdministration.deadLetters(configuration, kind: "webhook")
            if letters.isEmpty { print("no dead-lettered webhooks") }
            for letter in letters {
                print(
                    "\(letter.id)\t\(letter.eventType ?? "-")\t\(letter.createdAt)\tattempts=\(letter.attempts)\t"
                        + letter.lastError)
            }
        }
    }

    /// `handoff webhooks replay ID`.
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay", abstract: "Deliver a dead-lettered event webhook again.")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The id shown by `handoff webhooks dead-letters`.") var id: Int64

        func run() throws {
            let configuration = try loadConfiguration(options).configuration
            guard try OutboxAdministration.replay(configuration, id: id) else {
                printError("no dead-lettered webhook with id \(id)")
                throw ExitCode(1)
            }
            print("webhook \(id) queued for delivery")
        }
    }
}
