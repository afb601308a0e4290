import Logging
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

@Suite struct LogLineHandlerTests {
    @Test func logfmtQuotesWhatNeedsQuoting() {
        let line = LogLineHandler.logfmt([("msg", "request done"), ("status", "200"), ("path", "/a=b"), ("e", "")])
        #expect(line == "msg=\"request done\" status=200 path=\"/a=b\" e=\"\"\n")
    }

    @Test func jsonLinesAreEscaped() {
        let line = LogLineHandler.json([("msg", "say \"hi\"\n"), ("n", "1")])
        #expect(line == "{\"msg\":\"say \\\"hi\\\"\\n\",\"n\":\"1\"}\n")
    }

    @Test func levelsFilterAndMetadataMerges() {
        let sink = LogSink.capturing()
        var logger = Logger(label: "test") { LogLineHandler(label: $0, level: .info, format: .logfmt, sink: sink) }
        logger[metadataKey: "request_id"] = "r1"
        logger.debug("hidden")
        logger.info("shown", metadata: ["status": "201"])
        #expect(sink.lines.count == 1)
        let line = sink.lines[0]
        #expect(line.contains("level=info"))
        #expect(line.contains("msg=shown"))
        #expect(line.contains("request_id=r1"))
        #expect(line.contains("status=201"))
        #expect(line.hasPrefix("ts=20"))
    }
}
