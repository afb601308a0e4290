import ArgumentParser
import Dispatch
import Foundation
import HandoffService
import Lifecycle
import Logging

/// `handoff serve`: migrate, listen, and run until SIGTERM or SIGINT, then drain and exit 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: apply migrations, serve HTTP, drain gracefully on SIGTERM/SIGINT."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let loaded = try loadConfiguration(options)
        let configuration = loaded.configuration
        bootstrapLogging(configuration)
        let logger = Logger(label: "handoff")
        for warning in loaded.warnings { logger.warning("configuration", metadata: ["warning": "\(warning)"]) }
        raiseOpenFileLimit(logger: logger)
        let application = HandoffApplication(configuration: configuration, logger: logger)
        // SIGHUP is handled from before the first log line, so none is lost (or fatal) at start-up.
        let reloads = ReloadSignal.install { reload(application, logger: logger) }
        let shutdown = Trigger()
        let terminations = TerminationSignal.install { signal in
            logger.info("signal received", metadata: ["signal": "\(signal)"])
            logger.info("draining", metadata: ["timeout_s": "\(configuration.drainTimeout.components.seconds)"])
            shutdown.fire()
        }
        defer {
            reloads.cancel()
            for source in terminations { source.cancel() }
        }
        do {
            try await application.run(until: shutdown)
        } catch {
            logger.critical("stopped on a failure", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    /// SIGHUP: reads the configuration again the way start-up did; applies texts, keywords, limits
    /// and keys if it is valid, keeps the running configuration (and says why) if not.
    private func reload(_ application: HandoffApplication, logger: Logger) {
        let loaded: ConfigurationLoader.Loaded
        do {
            loaded = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment).load(
                configPath: options.config)
        } catch {
            logger.error(
                "configuration reload rejected; the running configuration is kept",
                metadata: ["error": "\(error.message)"])
            return
        }
        let waiting = application.reload(loaded.configuration)
        logger.info("configuration reloaded", metadata: ["file": "\(options.config ?? "-")"])
        if !waiting.isEmpty {
            logger.warning(
                "changed settings that take effect only after a restart",
                metadata: ["settings": "\(waiting.joined(separator: ","))"])
        }
    }
}

/// Calls `handler` on each SIGHUP (whose default action, exiting, is disabled).
enum ReloadSignal {
    static func install(_ handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "handoff.reload"))
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}

/// Sends swift-log records through `LogLineHandler` with the configured level and format.
func bootstrapLogging(_ configuration: Configuration) {
    let level = Logger.Level(rawValue: configuration.logLevel.rawValue) ?? .info
    LoggingSystem.bootstrap { label in
        LogLineHandler(label: label, level: level, format: configuration.logFormat)
    }
    // Lines gathered under load are written before any exit, a failure's included.
    atexit { LogSink.standardError.flush() }
}

/// Lifts the soft limit on open files to the hard limit: every connection and stream is a descriptor.
func raiseOpenFileLimit(logger: Logger) {
    var limit = rlimit()
    guard getrlimit(openFilesResource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    if setrlimit(openFilesResource, &limit) != 0 {
        logger.warning("cannot raise the open-file limit", metadata: ["errno": "\(errno)"])
    }
}

private let openFilesResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

/// Calls `handler` with the signal's name on each SIGTERM or SIGINT (whose default actions,
/// exiting at once, are disabled). Keep the sources returned: they are the handlers.
enum TerminationSignal {
    static func install(_ handler: @escaping @Sendable (String) -> Void) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "handoff.signals")
        return [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(name) }
            source.resume()
            return source
        }
    }
}
