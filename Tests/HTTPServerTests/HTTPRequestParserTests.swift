import HTTPServer
import Testing

@Suite struct HTTPRequestParserTests {
    /// What feeding some bytes produced: the events in order, then the error if parsing failed.
    struct Outcome: Equatable {
        var events: [String] = []
        var error: HTTPParseError?
    }

    /// A compact, comparable rendering of an event.
    static func describe(_ event: HTTPParserEvent) -> String {
        switch event {
        case .expectContinue:
            return "100-continue"
        case .request(let request):
            let headers = request.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            let trailers = request.trailers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            return "\(request.method) \(request.target) \(request.version) [\(headers)] "
                + "body=\(String(decoding: request.body, as: UTF8.self)) [\(trailers)]"
        }
    }

    /// Feeds `chunks` one after another, draining events after each.
    static func feed(_ chunks: [[UInt8]], limits: HTTPParserLimits = HTTPParserLimits()) -> Outcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = Outcome()
        for chunk in chunks {
            parser.append(chunk)
            do {
                while let event = try parser.next() { outcome.events.append(describe(event)) }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        return outcome
    }

    /// Feeds `raw` whole, byte by byte and split in two at every index; all must agree, except that
    /// `100-continue` only appears when the body was not already there with the head.
    static func feedEverySplit(_ raw: String, limits: HTTPParserLimits = HTTPParserLimits()) -> Outcome {
        let bytes = Array(raw.utf8)
        let whole = feed([bytes], limits: limits)
        let byteByByte = feed(bytes.map { [$0] }, limits: limits)
        #expect(withoutContinue(byteByByte) == withoutContinue(whole), "byte by byte")
        for split in 0...bytes.count {
            let halves = feed([Array(bytes[..<split]), Array(bytes[split...])], limits: limits)
            #expect(withoutContinue(halves) == withoutContinue(whole), "split at \(split)")
        }
        return byteByByte
    }

    static func withoutContinue(_ outcome: Outcome) -> Outcome {
        var copy = outcome
        copy.events.removeAll { $0 == "100-continue" }
        return copy
    }

    @Test func parsesASimpleGet() {
        let outcome = Self.feedEverySplit("GET /v1/session?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == ["GET /v1/session?x=1 HTTP/1.1 [Host=a,Accept=*/*] body= []"])
    }

    @Test func keepsRepeatedHeadersAndTrimsValues() throws {
        let outcome = Self.feedEverySplit("GET / HTTP/1.1\r\nhost: a\r\nX-A:  1 \r\nx-a:\t2\r\nEmpty:\r\n\r\n")
        #expect(outcome.events == ["GET / HTTP/1.1 [host=a,X-A=1,x-a=2,Empty=] body= []"])
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nhost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n".utf8))
        guard case .request(let request) = try parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.headers.values(for: "X-a") == ["1", "2"])
        #expect(request.headers["HOST"] == "a")
    }

    @Test func readsAContentLengthBody() {
        let outcome = Self.feedEverySplit(
            "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(outcome.events == ["POST /f HTTP/1.1 [Host=a,Content-Length=11] body=hello world []"])
    }

    @Test func acceptsIdenticalRepeatedContentLengths() {
        let outcome = Self.feedEverySplit(
            "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok")
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 1)
    }

    @Test func decodesChunkedBodiesWithExtensionsAndTrailers() {
        let raw =
            "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 9\r\n\r\n"
        let outcome = Self.feedEverySplit(raw)
        #expect(outcome.error == nil)
        #expect(
            outcome.events == [
                "POST /c HTTP/1.1 [Host=a,Transfer-Encoding=chunked] body=hello 0123456789 [X-Sum=9]"
            ])
    }

    @Test func servesPipelinedRequestsInOrder() {
        let raw =
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
            + "GET /3 HTTP/1.0\r\n\r\n"
        let outcome = Self.feedEverySplit(raw)
        #expect(outcome.events.map { $0.split(separator: " ")[1] } == ["/1", "/2", "/3"])
    }

    @Test func ignoresEmptyLinesBeforeARequest() {
        let outcome = Self.feedEverySplit("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.events.count == 1)
        #expect(outcome.error == nil)
    }

    @Test func announcesExpectContinueOnceBeforeTheBody() {
        let head = "POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        let outcome = Self.feed([Array(head.utf8), Array("a".utf8), Array("bc".utf8)])
        #expect(outcome.events.count == 2)
        #expect(outcome.events.first == "100-continue")
        let whole = Self.feed([Array((head + "abc").utf8)])
        #expect(whole.events.count == 1, "no 100 Continue when the body came with the head")
    }

    @Test func tracksWhetherARequestIsUnderway() throws {
        var parser = HTTPRequestParser()
        #expect(!parser.isMidRequest)
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.isMidRequest && !parser.isReadingBody)
        parser.append(Array("\r\nab".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.isReadingBody)
        parser.append(Array("cdGET".utf8))
        #expect(try parser.next() != nil)
        #expect(parser.bufferedByteCount == 3)
        #expect(parser.isMidRequest && !parser.isReadingBody)
    }

    static let rejections: [(String, String, Int, String)] = [
        (
            "both framings", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            400, "conflicting_framing"
        ),
        (
            "differing lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            400, "conflicting_content_length"
        ),
        (
            "length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", 400,
            "conflicting_content_length"
        ),
        ("signed length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400, "invalid_content_length"),
        ("hex length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n", 400, "invalid_content_length"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400, "obsolete_line_folding"),
        ("bare CR", "GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n", 400, "bare_cr"),
        ("bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "invalid_line_ending"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "invalid_header_name"),
        ("bad name", "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", 400, "invalid_header_name"),
        ("no colon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", 400, "malformed_header"),
        ("control in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n", 400, "invalid_header_value"),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{00}b\r\n\r\n", 400, "invalid_line_ending"),
        (
            "gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
            "unsupported_transfer_coding"
        ),
        (
            "chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400,
            "chunked_not_final"
        ),
        ("TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "transfer_encoding_in_http10"),
        ("missing host", "GET / HTTP/1.1\r\n\r\n", 400, "invalid_host"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "invalid_host"),
        ("HTTP/2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported_version"),
        ("garbage version", "GET / HTTQ/1.1\r\nHost: a\r\n\r\n", 400, "invalid_version"),
        ("two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed_request_line"),
        ("relative target", "GET v1 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid_target"),
        ("bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid_method"),
        (
            "expect other", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417,
            "unsupported_expectation"
        ),
        (
            "bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
            "malformed_chunk"
        ),
        (
            "chunk without CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400,
            "malformed_chunk"
        ),
        (
            "huge chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n", 413,
            "body_too_large"
        ),
        (
            "huge length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
            "body_too_large"
        ),
    ]

    @Test(arguments: rejections)
    func rejectsMalformedAndSmugglingShapes(name: String, raw: String, status: Int, code: String) {
        let outcome = Self.feedEverySplit(raw)
        #expect(outcome.error?.status.code == status, "\(name)")
        #expect(outcome.error?.code == code, "\(name)")
        #expect(outcome.events.isEmpty, "\(name)")
    }

    @Test func enforcesSizeLimitsWithTheirStatuses() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 64, maxHeadBytes: 256, maxHeaderCount: 4, maxBodyBytes: 10)
        let longLine = "GET /" + String(repeating: "a", count: 80) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(Self.feedEverySplit(longLine, limits: limits).error?.status.code == 414)
        let bigHead = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n"
        #expect(Self.feedEverySplit(bigHead, limits: limits).error?.status.code == 431)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n"
        #expect(Self.feedEverySplit(manyHeaders, limits: limits).error?.code == "too_many_headers")
        let bigBody = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
        #expect(Self.feedEverySplit(bigBody, limits: limits).error?.status.code == 413)
        let bigChunks = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\naaaaaa\r\n5\r\n"
        #expect(Self.feedEverySplit(bigChunks, limits: limits).error?.status.code == 413)
        let exact = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789"
        #expect(Self.feedEverySplit(exact, limits: limits).events.count == 1)
        let longMethod = String(repeating: "M", count: 21) + " / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(
            Self.feedEverySplit(longMethod).error
                == HTTPParseError(
                    status: .notImplemented, code: "method_too_long",
                    message: "The request method is longer than 20 bytes."))
        let longestRegistered = "UPDATEREDIRECTREF / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(Self.feedEverySplit(longestRegistered).events.count == 1)
    }

    @Test func rejectsALongLineBeforeItEnds() {
        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxRequestLineBytes: 32))
        parser.append(Array(("GET /" + String(repeating: "x", count: 40)).utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(throws: HTTPParseError.self, "stays failed") { try parser.next() }
    }

    @Test func keepsNoMoreThanItMustAcrossManyKeepAliveRequests() throws {
        var parser = HTTPRequestParser()
        let one = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        for _ in 0..<10_000 {
            parser.append(one)
            #expect(try parser.next() != nil)
        }
        #expect(parser.bufferedByteCount == 0)
    }
}
