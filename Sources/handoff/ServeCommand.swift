import ArgumentParser
import Dispatch
import Foundation
import HandoffService
import Logging
import Synchronization

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
        // SIGHUP is handled from before the first log line, so none is lost (or fatal) at start-up.
        let running = Mutex<HandoffApplication?>(nil)
        let reloads = ReloadSignal.install {
            guard let application = running.withLock({ $0 }) else { return }
            reload(application, logger: logger)
        }
        let application: HandoffApplication
        do {
            application = try await HandoffApplication(configuration: configuration, logger: logger)
            running.withLock { $0 = application }
            try await application.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let signal = await TerminationSignal.wait()
        reloads.cancel()
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await application.shutdown()
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

/// Waits for SIGTERM or SIGINT (their default actions are disabled while waiting).
enum TerminationSignal {
    static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "handoff.signals")
            let resumed = ResumeOnce(continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.resume(name) }
                source.resume()
                resumed.keep(source)
            }
        }
    }

    /// Resumes the continuation for the first signal only, and keeps the sources alive.
    // @unchecked Sendable: every member is touched only on the one serial signal queue
    // (`keep` runs before any source is able to fire, on the caller's thread, then never again).
    private final class ResumeOnce: @unchecked Sendable {
        private var continuation: CheckedContinuation<String, Never>?
        private var sources: [any DispatchSourceSignal] = []

        init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }

        func keep(_ source: any DispatchSourceSignal) { sources.append(source) }

        func resume(_ name: String) {
            continuation?.resume(returning: name)
            continuation = nil
        }
    }
}
