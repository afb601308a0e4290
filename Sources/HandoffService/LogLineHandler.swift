import Foundation
import HTTPServer
import HandoffCore
public import Logging
import Synchronization

/// A swift-log backend writing one logfmt or JSON line per record to standard error.
///
/// Each line is written with a single `write(2)` so concurrent lines never interleave.
/// Callers keep personal data out of messages and metadata above debug level.
public struct LogLineHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: Configuration.LogFormat
    private let sink: LogSink

    /// A handler for `label`; `sink` defaults to standard error.
    public init(label: String, level: Logger.Level, format: Configuration.LogFormat, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Timestamp(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)).description),
            ("level", event.level.rawValue),
            ("logger", label),
            ("msg", event.message.description),
        ]
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, value.description)) }
        if let error = event.error { fields.append(("error", "\(error)")) }
        sink.write(format == .json ? Self.json(fields) : Self.logfmt(fields))
    }

    /// `key=value` pairs; values with spaces, quotes or `=` are quoted and escaped.
    static func logfmt(_ fields: [(String, String)]) -> String {
        var line = ""
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line += " " }
            line += key + "="
            let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
            if needsQuotes {
                line += "\""
                for ch in value {
                    switch ch {
                    case "\"": line += "\\\""
                    case "\\": line += "\\\\"
                    case "\n": line += "\\n"
                    case "\r": line += "\\r"
                    default: line.append(ch)
                    }
                }
                line += "\""
            } else {
                line += value
            }
        }
        return line + "\n"
    }

    /// One JSON object with string values.
    static func json(_ fields: [(String, String)]) -> String {
        let body = fields.map { JSONString.quote($0.0) + ":" + JSONString.quote($0.1) }.joined(separator: ",")
        return "{" + body + "}\n"
    }
}

/// Where log lines go: standard error in the daemon, a buffer in tests.
public final class LogSink: Sendable {
    private let descriptor: Int32
    private let isCapturing: Bool
    private let captured = Mutex<[String]>([])

    private init(descriptor: Int32, capturing: Bool) {
        self.descriptor = descriptor
        self.isCapturing = capturing
    }

    /// Standard error, written line by line.
    public static let standardError = LogSink(descriptor: 2, capturing: false)

    /// A sink that keeps lines in memory, for tests.
    public static func capturing() -> LogSink { LogSink(descriptor: -1, capturing: true) }

    /// The lines written so far (capturing sinks only).
    public var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        if isCapturing {
            captured.withLock { $0.append(line) }
            return
        }
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
