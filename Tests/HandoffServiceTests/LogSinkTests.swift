import Foundation
import Testing

@testable import HandoffService

/// `LogSink` writes a line at once when lines are rare and gathers lines that come fast, and
/// never loses or reorders one: read back through a pipe.
@Suite struct LogSinkTests {
    /// A pipe whose read end does not block: `read()` returns what was written so far.
    final class TestPipe {
        let readEnd: Int32
        let writeEnd: Int32

        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            readEnd = ends[0]
            writeEnd = ends[1]
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        func read() -> String {
            var buffer = [UInt8](repeating: 0, count: 1 << 17)
            let count = Foundation.read(readEnd, &buffer, buffer.count)
            return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
        }
    }

    static func line(_ text: String) -> [UInt8] { Array("\(text)\n".utf8) }

    @Test func aLineAfterAQuietSpellIsWrittenAtOnce() throws {
        let pipe = try TestPipe()
        let sink = LogSink(descriptor: pipe.writeEnd, gatherBelow: .zero, maxDelay: .seconds(3600))
        sink.write(Self.line("one"))
        #expect(pipe.read() == "one\n")
        sink.write(Self.line("two"))
        #expect(pipe.read() == "two\n")
    }

    @Test func fastLinesWaitForAWarningOrAFlushAndKeepTheirOrder() throws {
        let pipe = try TestPipe()
        // Every line after the first counts as fast; nothing is flushed by the clock in this test.
        let sink = LogSink(descriptor: pipe.writeEnd, gatherBelow: .seconds(3600), maxDelay: .seconds(3600))
        sink.write(Self.line("first"))
        #expect(pipe.read() == "first\n")
        sink.write(Self.line("a"))
        sink.write(Self.line("b"))
        #expect(pipe.read() == "")
        sink.write(Self.line("warning"), urgent: true)
        #expect(pipe.read() == "a\nb\nwarning\n")
        sink.write(Self.line("c"))
        #expect(pipe.read() == "")
        sink.flush()
        #expect(pipe.read() == "c\n")
    }

    @Test func gatheredLinesAreWrittenByTheClock() async throws {
        let pipe = try TestPipe()
        let sink = LogSink(descriptor: pipe.writeEnd, gatherBelow: .seconds(3600), maxDelay: .milliseconds(20))
        sink.write(Self.line("first"))
        sink.write(Self.line("late"))
        var seen = pipe.read()
        for _ in 0..<200 where !seen.hasSuffix("late\n") {
            try await Task.sleep(for: .milliseconds(10))
            seen += pipe.read()
        }
        #expect(seen == "first\nlate\n")
    }
}
