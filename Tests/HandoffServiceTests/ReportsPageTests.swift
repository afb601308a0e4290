import Foundation
import TestSupport
import Testing

@testable import HandoffService

/// The `/reports` page (API.md "Identity, attribution, outcomes, reports").
@Suite struct ReportsPageTests {
    @Test func thePageAndItsScriptAreServedFromTheBinary() async throws {
        try await TestApplication.inProcess { _, client, _ in
            let page = try await client.request("GET", "/reports")
            #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains(#"<script src="/reports.js"></script>"#))
            let script = try await client.request("GET", "/reports.js")
            #expect(script.status == 200 && script.header("Content-Type") == "text/javascript; charset=utf-8")
            #expect(script.body.contains("/v1/reports/funnel"))
            // Drawn by the page itself: no address elsewhere but the SVG namespace's.
            for body in [page.body, script.body] {
                let addresses = body.matches(of: /https?:\/\/[^"' )]+/).map { String($0.output) }
                #expect(addresses.allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(addresses)")
            }
        }
    }
}
