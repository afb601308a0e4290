import DatabaseDriver
import Foundation
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// The security pass: what an attacker would try against the widget, agent and admin APIs, each
/// answered with the contract's error, nothing stored that should not be, never a 5xx. (Guessing
/// verification codes: `HandoffFlowTests.refusesAbuseWithoutSendingAnything`; admin keys and
/// session fixation: `AdministrationTests`, `HandoffFlowTests`.)
@Suite struct SecurityTests {
    @Test func aTamperedOrMalformedCookieOpensNothing() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            #expect(try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)]).status == 200)
            let value = cookie.dropFirst("handoff_session=".count)
            let flipped =
                String(value.prefix(10)) + (value.dropFirst(10).first == "A" ? "B" : "A") + value.dropFirst(11)
            let variants = [
                "handoff_session=" + flipped,
                "handoff_session=" + value.dropLast(),
                cookie + "A",
                "handoff_session=" + value.prefix(42) + "=",
                "handoff_session=' OR '1'='1",
                "handoff_session=../../etc/passwd",
                "HANDOFF_SESSION=" + value,
            ]
            for variant in variants {
                let response = try await client.request("GET", "/v1/session", headers: [("Cookie", variant)])
                #expect(response.status == 401, "\(variant)")
            }
        }
    }

    @Test func foreignOriginsCannotChangeStateWithTheVisitorsCookie() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            for origin in ["https://evil.example", "null", "https://shop.example.evil.example"] {
                let response = try await client.request(
                    "POST", "/v1/messages",
                    headers: [("Cookie", cookie), ("Content-Type", "application/json"), ("Origin", origin)],
                    body: #"{"body":"sent by another site"}"#)
                #expect(response.status == 403, "\(origin)")
                #expect(response.header("Access-Control-Allow-Origin") == nil)
                let handoff = try await client.request(
                    "POST", "/v1/handoff",
                    headers: [("Cookie", cookie), ("Content-Type", "application/json"), ("Origin", origin)],
                    body: #"{"phone":"+14155550100","consent":true}"#)
                #expect(handoff.status == 403)
            }
            // A form post (what a page can send without a preflight) is refused by its type.
            let form = try await client.request(
                "POST", "/v1/messages",
                headers: [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")],
                body: "body=hello")
            #expect(form.status == 415)
            let history = try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)])
            #expect((history.json?["messages"] as? [[String: Any]])?.isEmpty == true, "nothing was stored")
        }
    }

    @Test func guessingAgentKeysIsRateLimited() async throws {
        try await TestApplication.inProcess { _, client, _ in
            var statuses: [Int] = []
            for attempt in 0..<22 {
                statuses.append(
                    try await client.request(
                        "GET", "/v1/conversations", headers: [("Authorization", "Bearer guess-\(attempt)-0000000000")]
                    ).status)
            }
            #expect(statuses.prefix(20).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(2).allSatisfy { $0 == 429 })
        }
    }

    @Test func injectionShapesAreStoredAsTextAndNeverBreakAQuery() async throws {
        let shapes = [
            "' OR '1'='1", "'; DROP TABLE messages; --", "\" OR \"\"=\"", "1; SELECT * FROM sessions",
            "%' AND 1=0 UNION SELECT token_hash FROM sessions --", "\\'; --", "$(rm -rf /)", "{{brand}}",
            "<script>alert(1)</script>", "\u{0}", "line\r\nX-Injected: 1",
        ]
        try await TestApplication.inProcess({ $0.handoffsPerMinutePerIP = 1000 }) { _, client, _ in
            var seen: [Int] = []
            let refused = 1  // the NUL: no session, so no conversation
            for (index, shape) in shapes.enumerated() {
                let encode = { (text: String) in String(decoding: try JSONEncoder().encode(text), as: UTF8.self) }
                let escaped = try encode(shape)
                // The locale has a length limit and the page must be a URL: the shape goes where each allows.
                let locale = try encode(String(shape.prefix(FieldLimits.locale)))
                let page = try encode(
                    "https://shop.example/?q="
                        + (shape.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                let details = #"{"locale":\#(locale),"page_url":\#(page),"display_name":\#(escaped)}"#
                let session = try await client.request(
                    "POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: details)
                if shape == "\u{0}" {
                    // No text field takes a NUL, on either backend (PostgreSQL's text cannot store one).
                    #expect(session.status == 422)
                    let refusal = session.json?["error"] as? [String: Any]
                    #expect(
                        refusal?["code"] as? String == "invalid_characters" && refusal?["field"] as? String == "locale")
                    seen.append(session.status)
                    continue
                }
                seen.append(session.status)
                let cookie = try #require(session.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
                let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
                let posted = try await client.request(
                    "POST", "/v1/messages", headers: headers + [("Idempotency-Key", "key-\(index)")],
                    body: #"{"body":\#(escaped) ,"client_id":\#(escaped)}"#)
                seen.append(posted.status)
                if shape == "\u{0}" {
                    #expect(posted.status == 422)
                } else {
                    #expect(posted.status == 201, "\(shape)")
                    #expect((posted.json?["message"] as? [String: Any])?["body"] as? String == shape, "stored as is")
                }
                let query = shape.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                for target in [
                    "/v1/messages?after=\(query)", "/v1/messages?limit=\(query)",
                ] {
                    seen.append(try await client.request("GET", target, headers: headers).status)
                }
                for target in [
                    "/v1/conversations?state=\(query)", "/v1/conversations?queue=\(query)",
                    "/v1/conversations?after=\(query)", "/v1/conversations/\(query)",
                    "/v1/conversations/\(query)/messages", "/v1/contacts/\(query)/consents",
                ] {
                    seen.append(try await client.request("GET", target, headers: API.agent).status)
                }
                let handoff = try await client.request(
                    "POST", "/v1/handoff", headers: headers, body: #"{"phone":\#(escaped),"consent":true}"#)
                #expect(handoff.status == 422, "\(shape) is not a phone number")
                seen.append(handoff.status)
            }
            #expect(seen.allSatisfy { $0 < 500 }, "\(seen)")
            let all = try await client.request("GET", "/v1/conversations?limit=200", headers: API.agent)
            #expect(
                (all.json?["conversations"] as? [[String: Any]])?.count == shapes.count - refused,
                "every table still there")
        }
    }

    @Test func nothingAClientSendsIsEchoedIntoAHeader() async throws {
        try await TestApplication.live { _, client, _ in
            let raw = try RawHTTPClient(port: client.port)
            try raw.send(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc%0d%0aSet-Cookie:%20x=1\r\nConnection: close\r\n\r\n"
            )
            let response = try HTTPTestClient.parse(await raw.readToEnd())
            #expect(response.header("X-Request-Id") != "abc%0d%0aSet-Cookie:%20x=1", "an unsafe id is replaced")
            #expect(response.header("Set-Cookie") == nil)
            let plain = try await client.request("GET", "/healthz", headers: [("X-Request-Id", "trace-42")])
            #expect(plain.header("X-Request-Id") == "trace-42", "a plain id is kept for tracing")
            // A bare CR or an obsolete line fold inside a header value is refused, not passed on.
            for injected in ["X-Request-Id: a\rSet-Cookie: x=1\r\n", "X-Request-Id: a\r\n Set-Cookie: x=1\r\n"] {
                let raw = try RawHTTPClient(port: client.port)
                try raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + injected + "Connection: close\r\n\r\n")
                let refused = try HTTPTestClient.parse(await raw.readToEnd())
                #expect(refused.status == 400)
                #expect(refused.header("Set-Cookie") == nil)
            }
            let origin = try await client.request(
                "POST", "/v1/sessions", headers: [("Origin", "https://evil.example\r\nX: 1")])
            #expect(origin.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func oversizedInputsGetTheirStatusAndTheServerStaysUp() async throws {
        try await TestApplication.live({ $0.maxBodyBytes = 64 * 1024 }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            let huge = String(repeating: "a", count: 70 * 1024)
            let tooBig = try await client.request(
                "POST", "/v1/messages", headers: headers, body: #"{"body":"\#(huge)"}"#)
            #expect(tooBig.status == 413)
            let long = String(repeating: "b", count: 3000)
            let tooLong = try await client.request(
                "POST", "/v1/messages", headers: headers, body: #"{"body":"\#(long)"}"#)
            #expect(tooLong.status == 422)
            let nested = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
            let deep = try await client.request("POST", "/v1/messages", headers: headers, body: nested)
            #expect(deep.status == 400, "deep nesting is malformed input, not a crash")
            let deepObject = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
            #expect(try await client.request("POST", "/v1/messages", headers: headers, body: deepObject).status == 400)
            let target = "/v1/messages?after=" + String(repeating: "9", count: 20_000)
            #expect(try await client.request("GET", target, headers: headers).status == 414)
            let bigHeader = try await client.request(
                "GET", "/healthz", headers: [("X-Big", String(repeating: "h", count: 40_000))])
            #expect(bigHeader.status == 431)
            let many = (0..<500).map { ("X-H\($0)", "v") }
            #expect(try await client.request("GET", "/healthz", headers: many).status == 431)
            let hugeKey = String(repeating: "k", count: 5000)
            let key = try await client.request(
                "POST", "/v1/messages", headers: headers, body: #"{"body":"hi","client_id":"\#(hugeKey)"}"#)
            #expect(key.status == 422, "idempotency keys have a length limit")
            #expect(try await client.request("GET", "/healthz").status == 200, "still serving")
        }
    }

    @Test func madeUpMethodsNeitherGrowMetricsNorPassTheParser() async throws {
        try await TestApplication.live { _, client, _ in
            let long = String(repeating: "M", count: 8 * 1024)
            let refused = try await client.request(long, "/healthz")
            #expect(refused.status == 501)
            #expect(refused.json.flatMap { ($0["error"] as? [String: Any])?["code"] as? String } == "method_too_long")
            for index in 0..<50 {
                _ = try await client.request("MADEUP\(index)", "/healthz")
            }
            let metrics = try await client.request("GET", "/metrics").body
            #expect(!metrics.contains("MADEUP") && !metrics.contains("MMMM"))
            #expect(metrics.contains(#"handoff_http_requests_total{method="other",route="/healthz",status="405"} 50"#))
        }
    }

    /// Opens `GET /v1/events` on a raw connection; returns it and what arrived first (the head and
    /// `: connected` for a stream, the whole answer for a refusal).
    static func openStream(
        port: Int, cookie: String, source: String? = nil
    ) async throws -> (client: RawHTTPClient, received: String) {
        let client = try RawHTTPClient(port: port, source: source)
        try client.send("GET /v1/events HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\nConnection: close\r\n\r\n")
        return (client, await client.read(until: ": connected"))
    }

    @Test func streamsAreCappedPerSessionAndInAll() async throws {
        try await TestApplication.live({
            $0.maxStreamsPerSession = 2
            $0.maxEventStreams = 3
        }) { _, client, _ in
            let (first, _) = try await API.startSession(client)
            let (second, _) = try await API.startSession(client)
            let (third, _) = try await API.startSession(client)
            var open: [RawHTTPClient] = []
            for _ in 0..<2 {
                let stream = try await Self.openStream(port: client.port, cookie: first)
                #expect(stream.received.hasPrefix("HTTP/1.1 200 OK"))
                open.append(stream.client)
            }
            let overSession = try await Self.openStream(port: client.port, cookie: first)
            #expect(overSession.received.hasPrefix("HTTP/1.1 429"))
            #expect(overSession.received.contains("too_many_streams") && overSession.received.contains("Retry-After"))
            let other = try await Self.openStream(port: client.port, cookie: second)
            #expect(other.received.hasPrefix("HTTP/1.1 200 OK"), "another session has its own places")
            open.append(other.client)
            let overTotal = try await Self.openStream(port: client.port, cookie: third)
            #expect(overTotal.received.hasPrefix("HTTP/1.1 503"))
            #expect(overTotal.received.contains("streams_at_capacity"))
            #expect(try await client.request("GET", "/healthz").status == 200, "requests still find a connection")
            open.removeFirst()
            let reopened = try await eventually(seconds: 5) {
                let stream = try await Self.openStream(port: client.port, cookie: first)
                guard stream.received.hasPrefix("HTTP/1.1 200 OK") else { return false }
                open.append(stream.client)
                return true
            }
            #expect(reopened, "a closed stream gives its place back")
        }
    }

    @Test func oneAddressHoldingItsMostCannotLockOthersOut() async throws {
        // The reported shape: max_connections 40, one address opening streams and slow bodies on
        // all of them. With the limits the loader derives for 40 (8 per address, 32 streams), that
        // address holds 8 connections and everyone else is still served.
        try await TestApplication.live({
            $0.maxConnections = 40
            $0.maxConnectionsPerAddress = 8
            $0.maxEventStreams = 32
        }) { _, client, _ in
            let attacker = HTTPTestClient(port: client.port, source: "127.0.0.2")
            var cookies: [String] = []
            for _ in 0..<3 { cookies.append(try await API.startSession(attacker).cookie) }
            var held: [RawHTTPClient] = []
            var streams = 0
            for index in 0..<12 {
                let stream = try await Self.openStream(
                    port: client.port, cookie: cookies[index % 3], source: "127.0.0.2")
                if stream.received.hasPrefix("HTTP/1.1 200 OK") { streams += 1 }
                held.append(stream.client)
            }
            #expect(streams == 8, "the address's cap, not the sessions' 12 places, bounds its streams")
            for _ in 0..<28 {
                let body = try RawHTTPClient(port: client.port, source: "127.0.0.2")
                try body.send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nx")
                #expect(await body.readToEnd().hasPrefix("HTTP/1.1 429"))
            }
            for _ in 0..<20 {
                #expect(try await client.request("GET", "/healthz").status == 200)
            }
            withExtendedLifetime(held) {}
        }
    }

    @Test func aTrustedProxyIsNotHeldToThePerAddressConnectionCap() async throws {
        // Behind a proxy every connection comes from its address: it is spared the cap, while
        // an untrusted address is still held to it.
        let proxies = try TestApplication.trustedProxies(["127.0.0.1"])
        try await TestApplication.live({
            $0.maxConnectionsPerAddress = 2
            $0.trustedProxies = proxies
        }) { _, client, _ in
            var held: [RawHTTPClient] = []
            for _ in 0..<4 {
                let connection = try RawHTTPClient(port: client.port)
                try connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                held.append(connection)
            }
            #expect(try await client.request("GET", "/healthz").status == 200, "the proxy's fifth connection")
            var untrusted: [RawHTTPClient] = []
            for _ in 0..<2 { untrusted.append(try RawHTTPClient(port: client.port, source: "127.0.0.2")) }
            let third = try RawHTTPClient(port: client.port, source: "127.0.0.2")
            try third.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await third.readToEnd().hasPrefix("HTTP/1.1 429"), "another address keeps its cap")
            withExtendedLifetime((held, untrusted)) {}
        }
    }

    @Test func metricsAnswerOnlyDirectLoopbackClientsWithoutAToken() async throws {
        try await TestApplication.live { _, client, _ in
            #expect(try await client.request("GET", "/metrics").status == 200)
            for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
                let proxied = try await client.request("GET", "/metrics", headers: [(header, "203.0.113.7")])
                #expect(proxied.status == 403, "\(header)")
                #expect(!proxied.body.contains("handoff_http_requests_total"))
            }
        }
    }

    @Test func metricsRequireTheBearerTokenWhenOneIsSet() async throws {
        let token = "metrics-token-0123456789"
        try await TestApplication.live({ $0.metricsToken = token }) { _, client, _ in
            let missing = try await client.request("GET", "/metrics")
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == "Bearer")
            let wrong = try await client.request(
                "GET", "/metrics", headers: [("Authorization", "Bearer not-the-token-at-all")])
            #expect(wrong.status == 401 && !wrong.body.contains("handoff_"))
            let right = try await client.request("GET", "/metrics", headers: [("Authorization", "Bearer \(token)")])
            #expect(right.status == 200 && right.body.contains("handoff_http_requests_total"))
            let proxied = try await client.request(
                "GET", "/metrics", headers: [("Authorization", "Bearer \(token)"), ("X-Forwarded-For", "203.0.113.7")])
            #expect(proxied.status == 200, "with a token, the scraper may be anywhere")
        }
    }
}
