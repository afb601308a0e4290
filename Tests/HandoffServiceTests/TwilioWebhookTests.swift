import DatabaseDriver
import Foundation
import HTTPServer
import Logging
import SQLite
import Storage
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Inbound webhooks signed by Twilio's own validator (PyPI `twilio`), as Twilio sends them.
@Suite struct TwilioWebhookTests {
    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with twilio (make test sets it)"))
    func acceptsOnlyWhatTwiliosValidatorSigned() async throws {
        let directory = try TemporaryDirectory()
        var application: HandoffApplication?
        var publicURL = ""
        for _ in 0..<5 where application == nil {
            let port = freeLoopbackPort()
            var configuration = TestApplication.configuration(in: directory)
            configuration.listen = ListenAddress(host: "127.0.0.1", port: port)
            configuration.publicURL = "http://127.0.0.1:\(port)"
            configuration.gateway = .twilio
            configuration.twilioAccountSID = "AC" + String(repeating: "1", count: 32)
            configuration.twilioAuthToken = "webhook-test-token"
            configuration.twilioFrom = "+15005550006"
            configuration.twilioAPIBase = "http://127.0.0.1:9"
            let candidate = HandoffApplication(
                configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            do {
                try await candidate.start()
                application = candidate
                publicURL = configuration.publicURL
            } catch let error as HTTPServerError where error.code == "bind_failed" {
                await candidate.shutdown()
            }
        }
        let running = try #require(application)
        let url = publicURL
        let output = try await offPool {
            try PythonOracle.run(
                script: "twilio_webhook_cases.py", input: Data(), arguments: [url, "webhook-test-token"])
        }
        let statuses = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Int])
        #expect(statuses["valid"] == 200)
        #expect(statuses["tampered_body"] == 403)
        #expect(statuses["wrong_url"] == 403)
        #expect(statuses["wrong_port"] == 403)
        #expect(statuses["missing_header"] == 403)
        #expect(statuses["replayed"] == 200, "a repeated MessageSid is acknowledged")
        let stored = try await running.database.read { connection in
            try connection.query("SELECT body FROM messages WHERE direction = 'inbound'").map {
                try $0.get("body", as: String.self)
            }
        }
        #expect(stored == ["Héllo ✓ & more"], "stored once, as sent")
        await running.shutdown()
    }
}
