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
            ("ts", Timestamp(unixMilliseconds: Self.nowMilliseconds()).description),
            ("level", event.level.rawValue),
            ("logger", label),
            ("msg", event.message.description),
        ]
        // Handler metadata is usually empty: the event's own metadata is then taken as it is.
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        fields.reserveCapacity(4 + merged.count + 1)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, value.description)) }
        if let error = event.error { fields.append(("error", "\(error)")) }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        if format == .json { Self.appendJSON(fields, to: &line) } else { Self.appendLogfmt(fields, to: &line) }
        sink.write(line)
    }

    /// The wall clock in Unix milliseconds, without Foundation's `Date`.
    private static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// `key=value` pairs; values with spaces, quotes, `=` or line breaks are quoted and escaped.
    static func logfmt(_ fields: [(String, String)]) -> String {
        var line: [UInt8] = []
        appendLogfmt(fields, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static func appendLogfmt(_ fields: [(String, String)], to line: inout [UInt8]) {
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line.append(UInt8(ascii: " ")) }
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            let bytes = value.utf8
            guard bytes.isEmpty || Self.needsQuotes(bytes) else {
                line.append(contentsOf: bytes)
                continue
            }
            line.append(UInt8(ascii: "\""))
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\n"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: line.append(byte)
                }
            }
            line.append(UInt8(ascii: "\""))
        }
        line.append(UInt8(ascii: "\n"))
    }

    /// Whether a logfmt value must be quoted: it holds a space, a quote, `=` or a line break
    /// (LF, VT, FF, CR, NEL, LS, PS).
    private static func needsQuotes(_ bytes: String.UTF8View) -> Bool {
        var previous: (UInt8, UInt8) = (0, 0)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "="), 0x0A...0x0D: return true
            case 0x85 where previous.1 == 0xC2: return true
            case 0xA8...0xA9 where previous == (0xE2, 0x80): return true
            default: previous = (previous.1, byte)
            }
        }
        return false
    }

    /// One JSON object with string values.
    static func json(_ fields: [(String, String)]) -> String {
        var line: [UInt8] = []
        appendJSON(fields, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static func appendJSON(_ fields: [(String, String)], to line: inout [UInt8]) {
        line.append(UInt8(ascii: "{"))
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            line.append(contentsOf: JSONString.quote(key).utf8)
            line.append(UInt8(ascii: ":"))
            line.append(contentsOf: JSONString.quote(value).utf8)
        }
        line.append(contentsOf: "}\n".utf8)
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

    func write(_ line: [UInt8]) {
        if isCapturing {
            captured.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            return
        }
        line.withUnsafeBytes { bytes in
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
