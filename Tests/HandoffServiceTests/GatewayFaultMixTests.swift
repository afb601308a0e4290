import DatabaseDriver
import Foundation
import Gateway
import GatewaySimulator
import HTTPServer
import HTTPValues
import Lifecycle
import Logging
import SQLite
import Storage
import Synchronization
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Every way the gateway fails, at once, against the real send path (outbox, dispatcher, SMS
/// service, Twilio client over loopback HTTP to the simulator) with a clock the test moves: 5xx
/// bursts, 429 with Retry-After, refused connections, answers slower than the client's timeout,
/// carrier opt-outs (21610), and a number that never gets through. Nothing may be lost, retries
/// must back off, and what never gets through is dead-lettered after the attempt limit.
@Suite struct GatewayFaultMixTests {
    static let texts = 40
    static let maxAttempts = 4
    /// Its sends always meet a refused connection.
    static let unreachable = "+14155559999"

    /// Sends through `reachable`, except the first `refusals` sends and every send to
    /// `GatewayFaultMixTests.unreachable`, which go to a port nothing listens on.
    final class RefusingGateway: SMSGateway {
        let reachable: TwilioGateway
        let refusing: TwilioGateway
        let refusals: Atomic<Int>
        let refused = Atomic<Int>(0)

        init(reachable: TwilioGateway, refusing: TwilioGateway, refusals: Int) {
            self.reachable = reachable
            self.refusing = refusing
            self.refusals = Atomic(refusals)
        }

        func send(_ sms: OutboundSMS) async throws(GatewayError) -> SendReceipt {
            if sms.to == GatewayFaultMixTests.unreachable || refusals.subtract(1, ordering: .relaxed).newValue >= 0 {
                refused.add(1, ordering: .relaxed)
                return try await refusing.send(sms)
            }
            return try await reachable.send(sms)
        }

        func isAuthentic(url: String, form: URLEncodedForm, headers: HTTPHeaders) -> Bool { false }
        func parseInbound(_ form: URLEncodedForm) throws(GatewayError) -> InboundSMS {
            try reachable.parseInbound(form)
        }
        func parseDeliveryReport(_ form: URLEncodedForm) throws(GatewayError) -> DeliveryReport {
            try reachable.parseDeliveryReport(form)
        }
    }

    @Test func nothingIsLostWhenTheGatewayFailsInEveryWay() async throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.file("db.sqlite").path, readers: 2)
        let migrator = try Migrator(
            directory: TestApplication.repositoryRoot.appendingPathComponent("migrations").path)
        try await database.withWriter { try migrator.migrate($0) }
        let clock = TestClock()

        // A timeout far above a loopback answer on a loaded machine (at 500 ms an ordinary send could
        // time out: a duplicate or a failure the test does not expect), far below the slow answers.
        let client = HTTPClient(configuration: HTTPClient.Configuration(totalTimeout: .milliseconds(1_500)))
        let simulator = GatewaySimulator(
            accountSID: "AC" + String(repeating: "1", count: 32), authToken: "token",
            inboundWebhookURL: "http://127.0.0.1:9/inbound", client: client)
        try simulator.start()
        func twilio(_ apiBase: String) -> TwilioGateway {
            TwilioGateway(
                accountSID: simulator.accountSID, authToken: "token", sender: .number("+15005550006"),
                apiBase: apiBase, client: client)
        }
        let refusingPort = RefusingLoopbackPort()
        let gateway = RefusingGateway(
            reachable: twilio(simulator.apiBase), refusing: twilio("http://127.0.0.1:\(refusingPort.port)"),
            refusals: 4)
        let sms = SMSService(
            database: database, events: EventHub(), webhooks: EventWebhooks(isEnabled: false), gateway: gateway,
            statusCallbackURL: "http://127.0.0.1:9/status", maxInFlight: 4, now: { clock.now })
        let dispatcher = OutboxDispatcher(
            database: database, handlers: [.sms: SMSDeliveryHandler(sms: sms)], maxAttempts: Self.maxAttempts,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })

        // The simulator answers the sends that reach it, in order: a 5xx burst, rate limits asking
        // for 30 s, answers slower than the client waits, carrier opt-outs; then it accepts.
        simulator.fail(.serverError, count: 6)
        simulator.fail(.rateLimited(retryAfterSeconds: 30), count: 3)
        simulator.fail(.slow(.seconds(3)), count: 2)
        simulator.fail(.optedOut, count: 2)
        let phones = (0..<Self.texts - 1).map { "+1415555\(String(format: "%04d", $0))" } + [Self.unreachable]
        let now = clock.now
        let timeline = Timeline(database: database, events: nil, webhooks: EventWebhooks(isEnabled: false)) { _ in }
        let messageIDs = try await timeline.write { timeline in
            let chat = ChatRepository(timeline.connection)
            try chat.insert(ContactRecord(id: "ct1", phoneE164: nil, locale: nil, timeZone: nil, createdAt: now))
            let conversation = try chat.insert(
                ConversationRecord(
                    id: "conv1", contactID: "ct1", state: .open, queue: nil, activeChannel: .sms, createdAt: now,
                    updatedAt: now))
            return try phones.map { phone in
                try SMSService.enqueue(
                    conversationID: conversation.id, to: phone, body: "For \(phone)", author: .agent, priority: 0,
                    timeline: timeline, now: now
                ).id
            }
        }

        let running = try await ServiceGroup([dispatcher]).runInBackground()
        /// The wait the dispatcher chose after each failed attempt, by row and attempt.
        var waits: [String: (error: String, attempts: Int, delay: Int64)] = [:]
        for _ in 0..<50 {
            dispatcher.wake()
            // Let every due row settle, then read what is left and jump to the next due time.
            var rows: [Row] = []
            for _ in 0..<300 {
                try await Task.sleep(for: .milliseconds(20))
                rows = try await database.read { try $0.query("SELECT * FROM outbox WHERE state != 'done'") }
                let busy = try rows.contains { row in
                    let state = try row.get("state", as: String.self)
                    return try state == "sending" || (state == "pending" && row.get("next_attempt_at") <= clock.now)
                }
                if !busy { break }
            }
            let pending = try rows.filter { try $0.get("state", as: String.self) == "pending" }
            if pending.isEmpty { break }
            for row in pending {
                let attempts = try row.get("attempts", as: Int.self)
                let key = "\(try row.get("id", as: Int64.self))/\(attempts)"
                if waits[key] == nil {
                    waits[key] = try (
                        row.get("last_error", as: String?.self) ?? "", attempts,
                        row.get("next_attempt_at", as: Int64.self) - clock.now
                    )
                }
            }
            clock.advance(by: try pending.map { try $0.get("next_attempt_at", as: Int64.self) }.min()! - clock.now)
        }
        try await running.stop()
        await simulator.shutdown()

        let (outbox, messages, suppressed) = try await database.read { connection in
            (
                try connection.query("SELECT * FROM outbox ORDER BY id"),
                try messageIDs.map { try #require(try ChatRepository(connection).message(id: $0)) },
                try phones.filter { try SuppressionRepository(connection).isSuppressed($0) }
            )
        }
        // Nothing lost: every text ended, either sent or failed for a reason recorded on it.
        #expect(try outbox.allSatisfy { try ["done", "dead"].contains($0.get("state", as: String.self)) })
        let sent = messages.filter { $0.status == "sent" }
        let failed = messages.filter { $0.status == "failed" }
        #expect(sent.count + failed.count == Self.texts, "statuses: \(messages.map(\.status))")
        // Each sent text reached its phone; only a send the client gave up on while the gateway
        // was still accepting it can arrive twice (a timeout is ambiguous), never more.
        var duplicates = 0
        for message in sent {
            let received = simulator.inbox(of: try #require(message.toE164)).count
            #expect((1...2).contains(received), "\(message.toE164 ?? "") received \(received)")
            duplicates += received - 1
        }
        #expect(duplicates <= 2, "duplicates: \(duplicates) (only the two slow answers may cause one)")
        // Carrier opt-outs fail at once, suppress the number and are not retried.
        let optedOut = failed.filter { $0.errorCode == 21610 }
        #expect(optedOut.count == 2)
        #expect(Set(suppressed) == Set(optedOut.compactMap(\.toE164)))
        // The number that never got through was tried `maxAttempts` times, then dead-lettered.
        let unreachable = try #require(messages.first { $0.toE164 == Self.unreachable })
        #expect(unreachable.status == "failed")
        let deadLetter = try #require(try outbox.first { try $0.get("message_id", as: String?.self) == unreachable.id })
        #expect(try deadLetter.get("state", as: String.self) == "dead")
        #expect(try deadLetter.get("attempts", as: Int.self) == Self.maxAttempts)
        #expect(
            try deadLetter.get("last_error", as: String?.self)?.contains("gave up after \(Self.maxAttempts) attempts")
                == true)
        let lastErrors = try Dictionary(
            outbox.map {
                try ($0.get("message_id", as: String?.self) ?? "", $0.get("last_error", as: String?.self) ?? "")
            },
            uniquingKeysWith: { first, _ in first })
        #expect(
            failed.count == 3,
            """
            two opt-outs and the unreachable number; failed: \(failed.map { message in
                "\(message.toE164 ?? "") \(message.errorCode.map(String.init) ?? "-") " + (lastErrors[message.id] ?? "")
            })
            """)
        // Backoff: Retry-After is honoured; otherwise waits double per attempt, with jitter.
        let limited = waits.values.filter { $0.error.contains("429") }
        #expect(limited.count == 3 && limited.allSatisfy { $0.delay >= 30_000 }, "\(limited)")
        for wait in waits.values where !wait.error.contains("429") {
            let full = Int64(2_000 << (wait.attempts - 1))
            #expect((full / 2...full).contains(wait.delay), "attempt \(wait.attempts) waited \(wait.delay) ms")
        }
        #expect(gateway.refused.load(ordering: .relaxed) >= 4 + Self.maxAttempts)
        withExtendedLifetime(refusingPort) {}
    }
}
