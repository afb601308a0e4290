import GatewaySimulator
import TestSupport
import Testing

@testable import HandoffService

/// Steps through the widget and agent APIs that many suites take before the part they test:
/// a session, a verified handoff, the history. They work in either `TestApplication` mode.
enum API {
    /// The headers of an agent's JSON request.
    static let agent = [("Authorization", "Bearer \(TestApplication.apiKey)"), ("Content-Type", "application/json")]
    /// The number the simulator's texts come from.
    static let sender = GatewaySetup.simulatorSender

    /// The header of a JSON request body.
    static let jsonContent = [("Content-Type", "application/json")]

    /// The `error.code` of an error response.
    static func errorCode(_ response: HTTPTestClient.Response) -> String? {
        (response.json?["error"] as? [String: Any])?["code"] as? String
    }

    /// The `error.field` of an error response.
    static func errorField(_ response: HTTPTestClient.Response) -> String? {
        (response.json?["error"] as? [String: Any])?["field"] as? String
    }

    /// The headers of a visitor's JSON request.
    static func json(_ cookie: String) -> [(String, String)] {
        [("Cookie", cookie), ("Content-Type", "application/json")]
    }

    /// Starts a session; returns the Cookie header value and the session JSON.
    static func startSession(_ client: HTTPTestClient) async throws -> (cookie: String, json: [String: Any]) {
        let response = try await client.request(
            "POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: #"{"locale":"en-US"}"#)
        #expect(response.status == 201)
        let setCookie = try #require(response.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("Path=/"))
        let cookie = String(setCookie.split(separator: ";")[0])
        return (cookie, try #require(response.json))
    }

    /// The new session cookie a successful verification sets.
    static func rotatedCookie(_ response: HTTPTestClient.Response) throws -> String {
        try #require(response.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
    }

    /// The code in the `number`th code text the phone received, in English or Spanish (waiting
    /// for it to arrive).
    static func code(_ simulator: GatewaySimulator, _ phone: String, number: Int = 1) async throws -> String {
        var codes: [String] = []
        _ = try await eventually {
            codes = simulator.inbox(of: phone).filter { $0.body.contains("code is") || $0.body.contains("código es") }
                .map {
                    String($0.body.split(separator: " ").first { $0.count == 7 && $0.hasSuffix(".") }?.dropLast() ?? "")
                }
            return codes.count >= number
        }
        try #require(codes.count >= number)
        return codes[number - 1]
    }

    /// Asks for a handoff to `phone` with consent; returns the `handoff` object.
    static func requestHandoff(_ cookie: String, _ phone: String, _ client: HTTPTestClient) async throws -> [String:
        Any]
    {
        let started = try await client.request(
            "POST", "/v1/handoff", headers: json(cookie), body: #"{"phone":"\#(phone)","consent":true}"#)
        #expect(started.status == 202)
        return try #require(started.json?["handoff"] as? [String: Any])
    }

    /// A session whose handoff to `phone` is active.
    static func activeSession(
        _ phone: String, _ client: HTTPTestClient, _ simulator: GatewaySimulator
    ) async throws -> (cookie: String, conversationID: String) {
        let (cookie, session) = try await startSession(client)
        _ = try await client.request(
            "POST", "/v1/handoff", headers: json(cookie), body: #"{"phone":"\#(phone)","consent":true}"#)
        let code = try await code(simulator, phone)
        let verified = try await client.request(
            "POST", "/v1/handoff/verify", headers: json(cookie), body: #"{"code":"\#(code)"}"#)
        #expect(verified.status == 200)
        #expect(
            try await eventually {
                simulator.inbox(of: phone).contains { $0.body.contains("all set") }
            },
            "the confirmation arrived")
        return (try rotatedCookie(verified), try #require(session["conversation_id"] as? String))
    }

    /// The visitor's message history (up to 200).
    static func history(_ cookie: String, _ client: HTTPTestClient) async throws -> [[String: Any]] {
        try #require(
            try await client.request("GET", "/v1/messages?limit=200", headers: [("Cookie", cookie)]).json?["messages"]
                as? [[String: Any]])
    }
}
