import Foundation
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// What reaches the server from browsers and through proxies (issue 15, sections 3 and 5): field
/// limits, session creation per address, wrong API keys, trusted proxies, exact CORS origins,
/// unknown programs, the `__Host-` cookie and JSON content types; on a live server where the
/// client's address, headers or cookies as sent matter, else in process.
@Suite struct BrowserAndProxyTests {
    @Test func sessionDetailsHaveLimitsAndThePageIsAnHTTPURL() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let long = { (count: Int) in String(repeating: "a", count: count) }
            let cases: [(String, String, String)] = [
                (#"{"page_url":"https://shop.example/\#(long(100_000))"}"#, "page_url", "too_long"),
                (#"{"page_url":"javascript:alert(1)"}"#, "page_url", "invalid_url"),
                (#"{"page_url":"https:///no-host"}"#, "page_url", "invalid_url"),
                (#"{"page_url":"https://shop.example/a b"}"#, "page_url", "invalid_url"),
                (#"{"locale":"\#(long(36))"}"#, "locale", "too_long"),
                (#"{"timezone":"\#(long(65))"}"#, "timezone", "too_long"),
                (#"{"display_name":"\#(long(101))"}"#, "display_name", "too_long"),
            ]
            for (body, field, code) in cases {
                let response = try await client.request("POST", "/v1/sessions", headers: API.jsonContent, body: body)
                #expect(response.status == 422, "\(body.prefix(80))")
                #expect(API.errorField(response) == field && API.errorCode(response) == code, "\(body.prefix(80))")
                #expect(response.header("Set-Cookie") == nil, "no session was started")
            }
            let fine = try await client.request(
                "POST", "/v1/sessions", headers: API.jsonContent,
                body:
                    #"{"page_url":"HTTPS://shop.example:8443/p?utm_source=x#top","locale":"en-US","timezone":"America/Los_Angeles","display_name":"\#(long(100))"}"#
            )
            #expect(fine.status == 201)
            let cookie = try #require(fine.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            let headers = [("Cookie", cookie)] + API.jsonContent
            let handoffCases: [(String, String, String)] = [
                ("/v1/handoff", #"{"phone":"\#(String(repeating: "1", count: 65))","consent":true}"#, "phone"),
                ("/v1/handoff/verify", #"{"code":"\#(String(repeating: "1", count: 33))"}"#, "code"),
            ]
            for (path, body, field) in handoffCases {
                let response = try await client.request("POST", path, headers: headers, body: body)
                #expect(response.status == 422 && API.errorField(response) == field, "\(path)")
            }
            let conversationID = try #require(fine.json?["conversation_id"] as? String)
            for body in [#"{"reason":"\#(long(501))"}"#, #"{"queue":"\#(long(65))"}"#] {
                let response = try await client.request(
                    "POST", "/v1/conversations/\(conversationID)/escalate", headers: API.agent, body: body)
                #expect(response.status == 422 && API.errorCode(response) == "too_long", "\(body.prefix(30))")
            }
        }
    }

    @Test func theLedgerRecordsTheForwardedClientAndCutsLongHeaders() async throws {
        let proxies = try TestApplication.trustedProxies(["127.0.0.1"])
        try await TestApplication.live({ $0.trustedProxies = proxies }) { _, client, _ in
            let forwarded = [("X-Forwarded-For", "198.51.100.23")]
            let session = try await client.request(
                "POST", "/v1/sessions", headers: API.jsonContent + forwarded,
                body: #"{"page_url":"https://shop.example/cart"}"#)
            let cookie = try #require(session.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            let started = try await client.request(
                "POST", "/v1/handoff",
                headers: [
                    ("Cookie", cookie), ("User-Agent", String(repeating: "u", count: 4000)),
                    ("Accept-Language", "en-US," + String(repeating: "x", count: 1000)),
                ] + API.jsonContent + forwarded,
                body: #"{"phone":"+14155550161","consent":true}"#)
            #expect(started.status == 202)
            let ledger = try await client.request(
                "GET", "/v1/contacts/%2B14155550161/consents", headers: API.agent)
            let entry = try #require((ledger.json?["consents"] as? [[String: Any]])?.first)
            #expect(entry["ip_address"] as? String == "198.51.100.23")
            #expect((entry["user_agent"] as? String)?.count == FieldLimits.userAgent)
            #expect((entry["locale"] as? String)?.count == FieldLimits.acceptLanguage)
            #expect(entry["page_url"] as? String == "https://shop.example/cart")
        }
    }

    @Test func sessionCreationIsRateLimitedPerClientAddress() async throws {
        let proxies = try TestApplication.trustedProxies(["127.0.0.0/8"])
        try await TestApplication.live({
            $0.sessionsPerMinutePerIP = 3
            $0.trustedProxies = proxies
        }) { _, client, _ in
            var cookies: [String] = []
            for _ in 0..<3 {
                let response = try await client.request("POST", "/v1/sessions")
                #expect(response.status == 201)
                cookies.append(
                    try #require(response.header("Set-Cookie")?.split(separator: ";").first.map(String.init)))
            }
            let refused = try await client.request("POST", "/v1/sessions")
            #expect(refused.status == 429 && API.errorCode(refused) == "rate_limited")
            #expect(Int(refused.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(refused.header("Set-Cookie") == nil)
            let resumed = try await client.request("POST", "/v1/sessions", headers: [("Cookie", cookies[0])])
            #expect(resumed.status == 200, "resuming a session is not creating one")
            let other = try await client.request(
                "POST", "/v1/sessions", headers: [("X-Forwarded-For", "203.0.113.5")])
            #expect(other.status == 201, "another client behind the trusted proxy has its own budget")
        }
    }

    @Test func aRightKeyWorksFromAnAddressThatGuessed() async throws {
        try await TestApplication.inProcess { _, client, _ in
            for attempt in 0..<21 {
                _ = try await client.request(
                    "GET", "/v1/conversations", headers: [("Authorization", "Bearer guess-\(attempt)-0000000000")])
            }
            let wrong = try await client.request(
                "GET", "/v1/conversations", headers: [("Authorization", "Bearer guess-again-0000000000")])
            #expect(wrong.status == 429)
            let missing = try await client.request("GET", "/v1/conversations")
            #expect(missing.status == 429, "no key while locked out is refused as well")
            let right = try await client.request("GET", "/v1/conversations", headers: API.agent)
            #expect(right.status == 200, "a guesser on the same address does not lock the integration out")
        }
    }

    @Test func trustedProxiesNameTheClientAndOthersAreNotBelieved() async throws {
        let proxies = try TestApplication.trustedProxies(["10.0.0.0/8", "127.0.0.1"])
        try await TestApplication.live({ $0.trustedProxies = proxies }) { (_, client, _) async throws in
            for _ in 0..<20 { #expect(try await Self.guess(client, "198.51.100.7").status == 401) }
            #expect(try await Self.guess(client, "198.51.100.7").status == 429)
            #expect(try await Self.guess(client, "198.51.100.8").status == 401, "another client, its own budget")
            // A client cannot hide behind an address it writes itself: the right-most untrusted one counts.
            #expect(try await Self.guess(client, "192.0.2.1, 198.51.100.7").status == 429)
            #expect(try await Self.guess(client, "198.51.100.7, 10.1.2.3").status == 429, "through a second proxy")
            #expect(try await Self.guess(client, "not-an-address").status == 401)
        }
        try await TestApplication.live { _, client, _ in
            for index in 0..<20 { _ = try await Self.guess(client, "198.51.100.\(index)") }
            let ignored = try await Self.guess(client, "198.51.100.99")
            #expect(ignored.status == 429, "without trusted proxies the header is ignored")
        }
    }

    @Test func trustedProxySettingsParseAddressesAndBlocks() throws {
        let proxies = try TestApplication.trustedProxies(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"])
        #expect(proxies.description == "10.0.0.0/8,2001:db8::/32,192.0.2.1")
        #expect(proxies.contains(IPAddress(parsing: "10.200.3.4")!))
        #expect(proxies.contains(IPAddress(parsing: "::ffff:10.0.0.1")!), "IPv4-mapped IPv6 is IPv4")
        #expect(proxies.contains(IPAddress(parsing: "[2001:db8:ffff::1]:443")!))
        #expect(!proxies.contains(IPAddress(parsing: "11.0.0.1")!))
        #expect(!proxies.contains(IPAddress(parsing: "192.0.2.2")!))
        for invalid in ["10.0.0.0/33", "example.com", "10.0.0.0/x", "::1/129"] {
            #expect(throws: HandoffServiceError.self, "\(invalid)") {
                try ConfigurationLoader(environment: ["HANDOFF_TRUSTED_PROXIES": invalid]).load(configPath: nil)
            }
        }
        let loaded = try ConfigurationLoader(environment: ["HANDOFF_TRUSTED_PROXIES": "127.0.0.1, ::1"])
            .load(configPath: nil)
        #expect(loaded.configuration.trustedProxies.description == "127.0.0.1,::1")
    }

    @Test func originsMatchTheConfiguredListExactly() async throws {
        try await TestApplication.live({ $0.publicURL = "https://chat.example.com" }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let post = { (origin: String) in
                try await client.request(
                    "POST", "/v1/messages", headers: [("Cookie", cookie), ("Origin", origin)] + API.jsonContent,
                    body: #"{"body":"hello"}"#)
            }
            for origin in [
                "http://shop.example", "https://shop.example:8443", "http://chat.example.com",
                "http://127.0.0.1:\(client.port)",
            ] {
                let response = try await post(origin)
                #expect(response.status == 403, "\(origin)")
                #expect(response.header("Access-Control-Allow-Origin") == nil, "\(origin)")
            }
            for origin in [TestApplication.origin, "https://chat.example.com"] {
                let response = try await post(origin)
                #expect(response.status == 201, "\(origin)")
                #expect(response.header("Access-Control-Allow-Origin") == origin)
            }
        }
        try await TestApplication.live({ $0.widgetOrigins = ["https://shop.example:443"] }) { _, client, _ in
            let response = try await client.request(
                "POST", "/v1/sessions", headers: [("Origin", "https://shop.example")])
            #expect(response.status == 201, "a default port is what browsers leave out")
        }
    }

    @Test func unknownProgramsAreRefusedBeforeAnythingIsRecorded() async throws {
        try await TestApplication.inProcess { _, client, simulator in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie)] + API.jsonContent
            let unknown = try await client.request(
                "POST", "/v1/handoff", headers: headers,
                body: #"{"phone":"+14155550162","consent":true,"program":"marketing_blast"}"#)
            #expect(unknown.status == 422)
            #expect(API.errorCode(unknown) == "unknown_program" && API.errorField(unknown) == "program")
            let ledger = try await client.request(
                "GET", "/v1/contacts/%2B14155550162/consents", headers: API.agent)
            #expect((ledger.json?["consents"] as? [[String: Any]])?.isEmpty == true)
            #expect(simulator.inbox(of: "+14155550162").isEmpty)
            let chat = try await client.request(
                "POST", "/v1/handoff", headers: headers,
                body: #"{"phone":"+14155550162","consent":true,"program":"chat"}"#)
            #expect(chat.status == 202)
        }
    }

    @Test func aSecureCookieIsHostPrefixedAndAValidOneWins() async throws {
        try await TestApplication.live({ $0.cookieSecure = true }) { _, client, _ in
            let started = try await client.request("POST", "/v1/sessions")
            let setCookie = try #require(started.header("Set-Cookie"))
            #expect(setCookie.hasPrefix("__Host-handoff_session="))
            #expect(setCookie.contains("; Path=/;") && setCookie.contains("; Secure") && !setCookie.contains("Domain"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let token = cookie.dropFirst("__Host-handoff_session=".count)
            let forged = String(repeating: "A", count: 43)
            for header in [
                cookie, "__Host-handoff_session=\(forged); \(cookie)", "handoff_session=\(forged); \(cookie)",
            ] {
                let response = try await client.request("GET", "/v1/session", headers: [("Cookie", header)])
                #expect(response.status == 200, "\(header)")
            }
            let twoHeaders = try await client.request(
                "GET", "/v1/session", headers: [("Cookie", "__Host-handoff_session=\(forged)"), ("Cookie", cookie)])
            #expect(twoHeaders.status == 200)
            let unprefixed = try await client.request(
                "GET", "/v1/session", headers: [("Cookie", "handoff_session=\(token)")])
            #expect(unprefixed.status == 401, "a cookie without the prefix could have been set by another host")
        }
        try await TestApplication.live { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let forged = "handoff_session=" + String(repeating: "B", count: 43)
            let resumed = try await client.request(
                "POST", "/v1/sessions", headers: [("Cookie", "\(forged); \(cookie)")])
            #expect(resumed.status == 200, "plain-http cookies too: the valid one resumes the session")
        }
    }

    @Test func jsonEndpointsTakeOnlyApplicationJSON() async throws {
        try await TestApplication.live { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let body = #"{"body":"hello"}"#
            // text/plain with any parameters is what a page on another site sends without a preflight.
            for type in [
                "text/plain", "text/plain; x=+json", "text/plain;application/json", "application/x+json",
                "application/jsonp", "multipart/form-data; boundary=x",
            ] {
                let response = try await client.request(
                    "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", type)], body: body)
                #expect(response.status == 415 && API.errorCode(response) == "unsupported_media_type", "\(type)")
            }
            let emptyForm = try await client.request(
                "POST", "/v1/sessions", headers: [("Content-Type", "text/plain")], body: "")
            #expect(emptyForm.status == 415, "a declared type counts even without a body")
            let history = try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)])
            #expect((history.json?["messages"] as? [[String: Any]])?.isEmpty == true, "nothing was stored")
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON ;charset=UTF-8"] {
                let response = try await client.request(
                    "POST", "/v1/messages", headers: [("Cookie", cookie), ("Content-Type", type)], body: body)
                #expect(response.status == 201, "\(type)")
            }
        }
    }

    /// A wrong API key, sent as if through a proxy that forwarded for `forwarded`.
    static func guess(_ client: HTTPTestClient, _ forwarded: String) async throws -> HTTPTestClient.Response {
        try await client.request(
            "GET", "/v1/conversations",
            headers: [("Authorization", "Bearer guess-0000000000000"), ("X-Forwarded-For", forwarded)])
    }
}
