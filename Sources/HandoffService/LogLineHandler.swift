import Foundation
import HTTPServer
import HandoffCore
public import Logging
import Synchronization

/// A swift-log backend writing one logfmt or JSON line per record to standard error.
///
/// Lines are written whole (see `LogSink`), so concurrent lines never interleave.
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
        sink.write(line, urgent: event.level >= .warning)
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
///
/// A line is written at once, with one `write(2)`, when the last write is at least `gatherBelow`
/// (1 ms) old: every line at tens of lines a second. Lines that come faster (the access log
/// under load) are gathered and written together once 64 KiB wait or `maxDelay` (50 ms) after
/// the first of them, whichever comes first; a warning or worse writes what waits at once. So a
/// crash can lose the last 50 ms of lines, as any buffered logger can; `flush()` (run at exit)
/// writes what waits.
public final class LogSink: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        var lastWrite: ContinuousClock.Instant?
        var flushScheduled = false
    }

    private enum Next {
        case write([UInt8])
        case scheduleFlush
        case nothing
    }

    private let descriptor: Int32
    private let isCapturing: Bool
    private let captured = Mutex<[String]>([])
    private let pending = Mutex(Pending())
    /// Held while writing, so gathered batches (larger than a pipe writes atomically) never interleave.
    private let writing = Mutex(())
    private let gatherBelow: Duration
    private let maxDelay: Duration
    private static let maxGathered = 64 * 1024

    private init(descriptor: Int32, capturing: Bool, gatherBelow: Duration, maxDelay: Duration) {
        self.descriptor = descriptor
        self.isCapturing = capturing
        self.gatherBelow = gatherBelow
        self.maxDelay = maxDelay
    }

    /// A sink writing to `descriptor`; lines closer than `gatherBelow` are gathered for up to `maxDelay`.
    package convenience init(
        descriptor: Int32, gatherBelow: Duration = .milliseconds(1), maxDelay: Duration = .milliseconds(50)
    ) {
        self.init(descriptor: descriptor, capturing: false, gatherBelow: gatherBelow, maxDelay: maxDelay)
    }

    /// Standard error.
    public static let standardError = LogSink(descriptor: 2)

    /// A sink that keeps lines in memory, for tests.
    public static func capturing() -> LogSink {
        LogSink(descriptor: -1, capturing: true, gatherBelow: .zero, maxDelay: .zero)
    }

    /// The lines written so far (capturing sinks only).
    public var lines: [String] { captured.withLock { $0 } }

    /// Writes `line` now or gathers it (see the type's comment); `urgent` lines never wait.
    func write(_ line: [UInt8], urgent: Bool = false) {
        if isCapturing {
            captured.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            return
        }
        let now = ContinuousClock.now
        let next = pending.withLock { pending -> Next in
            let quiet = pending.lastWrite.map { now - $0 >= gatherBelow } ?? true
            if pending.bytes.isEmpty && (quiet || urgent) {
                pending.lastWrite = now
                return .write(line)
            }
            pending.bytes += line
            if urgent || pending.bytes.count >= Self.maxGathered {
                pending.lastWrite = now
                defer { pending.bytes = [] }
                return .write(pending.bytes)
            }
            if pending.flushScheduled { return .nothing }
            pending.flushScheduled = true
            return .scheduleFlush
        }
        switch next {
        case .write(let bytes):
            writeAll(bytes)
        case .scheduleFlush:
            let delay = DispatchTimeInterval.nanoseconds(Int(maxDelay.components.attoseconds / 1_000_000_000))
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in flush() }
        case .nothing:
            break
        }
    }

    /// Writes the gathered lines now.
    public func flush() {
        let bytes = pending.withLock { pending -> [UInt8] in
            pending.flushScheduled = false
            guard !pending.bytes.isEmpty else { return [] }
            pending.lastWrite = .now
            defer { pending.bytes = [] }
            return pending.bytes
        }
        if !bytes.isEmpty { writeAll(bytes) }
    }

    private func writeAll(_ line: [UInt8]) {
        writing.withLock { _ in
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
}
