import DatabaseDriver
import Foundation
import Gateway
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// SMS pumping, in process: numbers that are not mobiles are refused, every cap on codes
/// texted holds, and a stranger cannot spend a number owner's allowance.
@Suite struct SMSPumpingTests {
    /// A new session from the address `127.0.0.<source>` asks for a code to `phone`.
    static func ask(
        _ server: HTTPTestClient, from source: UInt8, phone: String, cookie: String? = nil
    ) async throws -> HTTPTestClient.Response {
        let client = server.from("127.0.0.\(source)")
        var session = cookie
        if session == nil { session = try await API.startSession(client).cookie }
        return try await client.request(
            "POST", "/v1/handoff", headers: API.json(session ?? ""),
            body: #"{"phone":"\#(phone)","consent":true}"#)
    }

    @Test func refusesNumbersThatAreNotMobiles() async throws {
        try await TestApplication.inProcess({ $0.smsCountries = ["US", "GB", "ES"] }) { _, client, simulator in
            for phone in [
                "+1 900 555 1234", "+1 800 555 1234", "+44 20 7946 0018", "+44 70 1234 5678", "+34 901 123 456",
            ] {
                let refused = try await Self.ask(client, from: 1, phone: phone)
                #expect(refused.status == 422, "\(phone)")
                #expect(API.errorCode(refused) == "unsupported_number", "\(phone)")
                #expect((refused.json?["error"] as? [String: Any])?["field"] as? String == "phone")
            }
            #expect(try await Self.ask(client, from: 1, phone: "+44 7911 123456").status == 202)
            #expect(try await Self.ask(client, from: 1, phone: "+1 415 555 2671").status == 202)
            try await Task.sleep(for: .milliseconds(300))
            for phone in ["+19005551234", "+18005551234", "+442079460018", "+447012345678", "+34901123456"] {
                #expect(simulator.inbox(of: phone).isEmpty, "nothing texted to \(phone)")
            }
            let metrics = try await client.request("GET", "/metrics").body
            #expect(metrics.contains(#"handoff_unsupported_numbers_total{kind="premium_rate"} 1"#))
            #expect(metrics.contains(#"handoff_unsupported_numbers_total{kind="toll_free"} 1"#))
        }
    }

    @Test func aStrangerCannotLockTheOwnerOut() async throws {
        try await TestApplication.inProcess { application, client, simulator in
            let phone = "+14155550171"
            let stranger = try await API.startSession(client.from("127.0.0.2"))
                .cookie
            for _ in 0..<3 {
                #expect(try await Self.ask(client, from: 2, phone: phone, cookie: stranger).status == 202)
            }
            let limited = try await Self.ask(client, from: 2, phone: phone, cookie: stranger)
            #expect(limited.status == 429 && API.errorCode(limited) == "too_many_codes")
            let wait = try #require(limited.header("Retry-After").flatMap { Int($0) })
            #expect((3590...3600).contains(wait), "until the stranger's first code is an hour old: \(wait)")
            let newSession = try await Self.ask(client, from: 2, phone: phone)
            #expect(newSession.status == 429, "a new session from the same address counts as the same requester")

            // The owner, elsewhere, still gets a code and continues by text.
            let (owner, _) = try await API.startSession(client)
            #expect(try await Self.ask(client, from: 1, phone: phone, cookie: owner).status == 202)
            let code = try await API.code(simulator, phone, number: 4)
            let verified = try await client.request(
                "POST", "/v1/handoff/verify", headers: API.json(owner), body: #"{"code":"\#(code)"}"#)
            #expect(verified.status == 200)

            // Retry-After is the real wait: with the stranger's codes 50 minutes old, about 10 minutes.
            _ = try await application.database.write { connection in
                try connection.execute("UPDATE verifications SET created_at = created_at - 3000000", [])
            }
            let later = try await Self.ask(client, from: 2, phone: phone, cookie: stranger)
            let shorter = try #require(later.header("Retry-After").flatMap { Int($0) })
            #expect(later.status == 429 && (590...600).contains(shorter), "\(shorter)")
        }
    }

    /// Each cap set to 2 alone: the third code it counts is refused with its label in /metrics,
    /// while requests that cap does not count still go through.
    static let caps: [(cap: String, sources: [UInt8], phones: [String], uncounted: String?)] = [
        ("number_hour", [3, 4, 5], ["+14155550172", "+14155550172", "+14155550172"], "+14155550173"),
        ("address_day", [6, 6, 6], ["+14155550174", "+14155550175", "+14155550176"], "+14155550177"),
        ("area_code_hour", [7, 8, 9], ["+14155550178", "+14155550179", "+14155550180"], "+12125550181"),
        ("country_hour", [10, 11, 12], ["+14155550182", "+12125550183", "+13055550184"], "+447911123456"),
        ("global_hour", [13, 14, 15], ["+14155550185", "+12125550186", "+447911123457"], nil),
    ]

    @Test(arguments: Self.caps)
    func eachCapHolds(cap: String, sources: [UInt8], phones: [String], uncounted: String?) async throws {
        try await TestApplication.inProcess({ configuration in
            configuration.smsCountries = ["US", "GB"]
            switch cap {
            case "number_hour": configuration.codesPerNumberPerHour = 2
            case "address_day": configuration.codesPerAddressPerDay = 2
            case "area_code_hour": configuration.codesPerAreaCodePerHour = 2
            case "country_hour": configuration.codesPerCountryPerHour = 2
            default: configuration.codesPerHour = 2
            }
        }) { _, client, simulator in
            var statuses: [Int] = []
            var refused: HTTPTestClient.Response?
            for (source, phone) in zip(sources, phones) {
                let response = try await Self.ask(client, from: source, phone: phone)
                statuses.append(response.status)
                if response.status == 429 { refused = response }
            }
            #expect(statuses == [202, 202, 429], "\(cap)")
            #expect(refused.flatMap(API.errorCode) == "too_many_codes")
            let wait = try #require(refused?.header("Retry-After").flatMap { Int($0) })
            let window = cap == "address_day" ? 86_400 : 3_600
            #expect((window - 10...window).contains(wait), "\(cap): \(wait)")
            if let uncounted {
                #expect(try await Self.ask(client, from: 20, phone: uncounted).status == 202, "\(cap)")
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(simulator.inbox(of: phones[2]).count == (cap == "number_hour" ? 2 : 0), "nothing past the cap")
            let metrics = try await client.request("GET", "/metrics").body
            #expect(metrics.contains(#"handoff_code_caps_reached_total{cap="\#(cap)"} 1"#), "\(cap)")
            #expect(metrics.contains(#"handoff_code_cap{cap="\#(cap)"} 2"#))
            #expect(metrics.contains("handoff_codes_sent_last_hour \(uncounted == nil ? 2 : 3)"))
        }
    }
}
