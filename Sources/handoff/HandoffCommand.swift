import ArgumentParser

@main
struct HandoffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handoff", abstract: "Handoff server")
    func run() async throws {}
}
