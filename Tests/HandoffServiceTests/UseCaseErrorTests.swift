import Foundation
import HTTPServer
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Use cases speak `UseCaseError`; the edge renders API.md's statuses and bodies from it.
@Suite struct UseCaseErrorTests {
    @Test(arguments: [
        (UseCaseError.Kind.notFound, 404, nil as String?),
        (.conflict, 409, nil),
        (.invalid, 422, nil),
        (.forbidden, 403, nil),
        (.malformed, 400, nil),
        (.rateLimited(retryAfterSeconds: 42), 429, "42"),
        (.unavailable(retryAfterSeconds: 5), 503, "5"),
    ])
    func eachKindIsItsStatus(kind: UseCaseError.Kind, status: Int, retryAfter: String?) throws {
        let response = UseCaseError(kind, code: "some_code", message: "A \"quoted\" sentence.", field: "body").response
        #expect(response.status.code == status)
        #expect(response.headers["Retry-After"] == retryAfter)
        guard case .bytes(let body) = response.body else {
            Issue.record("an error body is known in full")
            return
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["code"] as? String == "some_code" && error["field"] as? String == "body")
        #expect(error["message"] as? String == "A \"quoted\" sentence.")
    }

    @Test func aRefusalFromAUseCaseKeepsItsCORSHeaders() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let refused = try await client.request(
                "POST", "/v1/handoff/verify",
                headers: [
                    ("Cookie", cookie), ("Origin", TestApplication.origin), ("Content-Type", "application/json"),
                ],
                body: #"{"code":"123456"}"#)
            #expect(refused.status == 409)
            #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "no_pending_verification")
            #expect(refused.header("Access-Control-Allow-Origin") == TestApplication.origin, "the widget can read why")
        }
    }
}
