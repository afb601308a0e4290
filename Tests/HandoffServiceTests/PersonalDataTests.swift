import Foundation
import Storage
import TestSupport
import Testing

@testable import HandoffService

/// Data subject requests: export everything about a number, erase it, keep proof and the STOP.
@Suite struct PersonalDataTests {
    @Test func exportsThenErasesButKeepsTheLedgerAndTheStop() async throws {
        try await SMSDeliveryTests.withApp { application, client, simulator in
            let phone = "+14155550157"
            let (cookie, _) = try await InboundSMSTests.activeSession(phone, client, simulator)
            _ = try await simulator.reply(from: phone, to: InboundSMSTests.sender, body: "My address is 1 Main St")
            _ = try await simulator.reply(from: phone, to: InboundSMSTests.sender, body: "STOP")
            let configuration = application.configuration

            let export = try await offPool { try PersonalData.export(configuration, phone: "(415) 555-0157") }
            let json = try #require(try JSONSerialization.jsonObject(with: export) as? [String: Any])
            let messages = (json["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
            #expect(messages.contains("My address is 1 Main St"))
            #expect((json["consents"] as? [[String: Any]])?.count == 3)
            #expect((json["sessions"] as? [[String: Any]])?.isEmpty == false)

            let removed = try await offPool { try PersonalData.erase(configuration, phone: phone) }
            #expect(removed > 0)
            let (left, ledger, suppressed) = try await application.database.read { connection in
                (
                    try connection.queryOne("SELECT count(*) AS n FROM messages WHERE body LIKE '%Main St%'")?.int("n"),
                    try HandoffRepository(connection).consents(phone: phone).count,
                    try ChatRepository(connection).isSuppressed(phone)
                )
            }
            #expect(left == 0, "the messages are gone")
            #expect(ledger == 3, "the consent ledger stays as proof")
            #expect(suppressed, "STOP is still honoured, through the hashed suppression")
            let session = try await client.request("GET", "/v1/session", headers: [("Cookie", cookie)])
            #expect(session.status == 401, "the erased session no longer exists")
        }
    }
}
