import DatabaseDriver
import Foundation
import Gateway
import HTTPValues
import HandoffCore
import Lifecycle
import Logging
import SQLite
import Storage
import Synchronization
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffService

/// What a timeline write costs and wakes: writer transactions per text, wake-ups per webhook.
@Suite struct TimelineTests {
    /// Accepts every text at once.
    final class AcceptingGateway: SMSGateway {
        let sent = Mutex<[OutboundSMS]>([])

        func send(_ sms: OutboundSMS) async throws(GatewayError) -> SendReceipt {
            let count = sent.withLock {
                $0.append(sms)
                return $0.count
            }
            return SendReceipt(providerMessageID: "SM\(count)", status: "queued", segments: 1)
        }

        func isAuthentic(url: String, form: URLEncodedForm, headers: HTTPHeaders) -> Bool { false }
        func parseInbound(_ form: URLEncodedForm) throws(GatewayError) -> InboundSMS {
            throw GatewayError(.malformedWebhook, code: "unused", message: "not in this test")
        }
        func parseDeliveryReport(_ form: URLEncodedForm) throws(GatewayError) -> DeliveryReport {
            throw GatewayError(.malformedWebhook, code: "unused", message: "not in this test")
        }
    }

    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        var count: Int { value.load(ordering: .relaxed) }
        func add() { value.add(1, ordering: .relaxed) }
        func reset() { value.store(0, ordering: .relaxed) }
    }

    let directory: TemporaryDirectory
    let database: SQLiteDatabase
    /// Every `Database.write` and `withWriter` call: the writer transactions asked for.
    let writes = Counter()
    static let phone = "+14155550100"

    init() async throws {
        directory = try TemporaryDirectory()
        let writes = writes
        database = try SQLiteDatabase(
            path: directory.file("db.sqlite").path, readers: 2,
            writeContext: {
                writes.add()
                return nil
            })
        let migrator = try Migrator(
            directory: TestApplication.repositoryRoot.appendingPathComponent("migrations").path)
        try await database.withWriter { try migrator.migrate($0) }
    }

    /// A conversation that continues by text with `phone`, the customer having just written.
    /// The inbound-text use case on `database`, wired as the service wires it (brand Acme).
    static func inboundService(
        on database: any Database, webhooks: EventWebhooks, counters: ServiceCounters = ServiceCounters(),
        outboxChanged: @escaping @Sendable () -> Void = {}
    ) -> InboundSMSService {
        let events = EventHub()
        let handoff = HandoffFlow(
            database: database, events: events, webhooks: webhooks,
            settings: HandoffFlow.Settings(
                brand: "Acme", program: "chat", defaultRegion: "US", allowedRegions: ["US"], consentText: "",
                confirmationTemplate: "", summaryTemplate: ""),
            outboxChanged: {})
        return InboundSMSService(
            database: database, events: events, webhooks: webhooks, handoff: handoff,
            routing: Routing(holdingText: "A person will answer.", brand: "Shop"), brand: "Acme", program: "chat",
            counters: counters, outboxChanged: outboxChanged)
    }

    func activeSMSConversation() async throws -> String {
        let now = ChatService.currentMilliseconds()
        return try await database.write { connection in
            let chat = ChatRepository(connection)
            try chat.insert(ContactRecord(id: "ct1", phoneE164: Self.phone, locale: nil, timeZone: nil, createdAt: now))
            let conversation = try chat.insert(
                ConversationRecord(
                    id: "conv1", contactID: "ct1", state: .open, activeChannel: .sms, createdAt: now, updatedAt: now))
            _ = try chat.insert(
                MessageRecord(
                    id: "msg-in", conversationID: conversation.id, direction: .inbound, channel: .sms,
                    author: .visitor, body: "Is it in stock?", status: "received", createdAt: now, updatedAt: now),
                clientKey: nil)
            return conversation.id
        }
    }

    @Test func anAgentReplyCostsTwoWriterTransactionsAfterItsRequest() async throws {
        let gateway = AcceptingGateway()
        let events = EventHub()
        let webhooks = EventWebhooks(isEnabled: false)
        let sms = SMSService(
            database: database, events: events, webhooks: webhooks, gateway: gateway,
            statusCallbackURL: "http://127.0.0.1:9/status", maxInFlight: 4)
        let dispatcher = OutboxDispatcher(
            database: database, events: events, webhooks: webhooks,
            handlers: [OutboxKind.sms: SMSDeliveryHandler(sms: sms)],
            maxAttempts: 5, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let chat = ChatService(
            database: database, events: events, webhooks: webhooks, outboxChanged: { dispatcher.wake() },
            routing: nil, sessionLifetimeDays: 30, maxMessageCharacters: 2_000)
        let conversationID = try await activeSMSConversation()
        let running = try await ServiceGroup([dispatcher]).runInBackground()

        for reply in 1...3 {
            writes.reset()
            let (message, _) = try await chat.postReply(
                conversationID: conversationID, author: "agent", body: "Yes, reply \(reply).", clientKey: nil)
            #expect(
                try await eventually(seconds: 5) {
                    try await database.read { connection in
                        try ChatRepository(connection).message(id: message.id)?.status == "sent"
                            && OutboxRepository(connection).list(state: .done, kind: .sms, afterID: 0, limit: 10)
                                .count == reply
                    }
                })
            // Idle rounds only read: nothing more is written once the text settled.
            try await Task.sleep(for: .milliseconds(200))
            #expect(writes.count == 3, "the reply's request, the claim, the settlement")
        }
        #expect(gateway.sent.withLock { $0.map(\.body) } == ["Yes, reply 1.", "Yes, reply 2.", "Yes, reply 3."])
        try await running.stop()
    }

    @Test func aRepeatedInboundTextWakesNothing() async throws {
        let wakeUps = Counter()
        let inbound = Self.inboundService(
            on: database, webhooks: EventWebhooks(isEnabled: true), outboxChanged: { wakeUps.add() })
        _ = try await activeSMSConversation()
        let text = InboundSMS(
            providerMessageID: "SM-in-1", from: Self.phone, to: "+15005550006", body: "Thanks!", segments: 1,
            optOutType: nil)
        _ = try await inbound.receive(text, raw: "MessageSid=SM-in-1")
        #expect(wakeUps.count == 1, "its message.created webhook")
        _ = try await inbound.receive(text, raw: "MessageSid=SM-in-1")
        #expect(wakeUps.count == 1, "the repeat wrote nothing")
    }
}

/// A test database that changes how writes run and passes reads and writer access to SQLite.
protocol WrappedWrites: Database {
    var base: SQLiteDatabase { get }
}

extension WrappedWrites {
    func read<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await base.read(body)
    }

    func withWriter<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await base.withWriter(body)
    }
}

/// A database that runs every write twice, the first run rolled back, as PostgreSQL runs a
/// transaction again after a serialization conflict.
struct WritesRunTwice: WrappedWrites {
    let base: SQLiteDatabase
    struct RolledBack: Error {}

    func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        _ = try? await base.write { connection -> T in
            _ = try body(connection)
            throw RolledBack()
        }
        return try await base.write(body)
    }
}

extension TimelineTests {
    /// A transaction run again (PostgreSQL after a serialization conflict) counts what it did once:
    /// the first text of a conversation is one `first_sms_reply` (it was two on PostgreSQL).
    @Test func aTextWhoseTransactionRanTwiceIsCountedOnce() async throws {
        let now = ChatService.currentMilliseconds()
        try await database.write { connection in
            let chat = ChatRepository(connection)
            try chat.insert(ContactRecord(id: "ct1", phoneE164: Self.phone, locale: nil, timeZone: nil, createdAt: now))
            _ = try chat.insert(
                ConversationRecord(
                    id: "conv1", contactID: "ct1", state: .open, activeChannel: .sms, createdAt: now, updatedAt: now))
        }
        let counters = ServiceCounters()
        let inbound = Self.inboundService(
            on: WritesRunTwice(base: database), webhooks: EventWebhooks(isEnabled: false), counters: counters)
        let text = InboundSMS(
            providerMessageID: "SM-in-1", from: Self.phone, to: "+15005550006", body: "Thanks!", segments: 1,
            optOutType: nil)
        _ = try await inbound.receive(text, raw: "MessageSid=SM-in-1")
        let rendered = counters.render()
        #expect(rendered.contains(#"handoff_funnel_total{stage="first_sms_reply"} 1"#), "\(rendered)")
    }
}

extension TimelineTests {
    struct Refused: Error {}

    /// `TimelineWriter.count` counts once for a body run twice, and nothing for a body that throws.
    @Test func aCountIsTakenOnceCommittedAndNeverForARollback() async throws {
        let counters = ServiceCounters()
        let timeline = Timeline(
            database: WritesRunTwice(base: database), events: nil, webhooks: EventWebhooks(isEnabled: false)
        ) { _ in }
        try await timeline.write { $0.count("handoff_escalations_total", [("reason", "retried")], in: counters) }
        await #expect(throws: Refused.self) {
            try await timeline.write { writer in
                writer.count("handoff_escalations_total", [("reason", "refused")], in: counters)
                throw Refused()
            }
        }
        let text = counters.render()
        #expect(text.contains(#"handoff_escalations_total{reason="retried"} 1"#), "\(text)")
        #expect(!text.contains(#"reason="refused""#), "\(text)")
    }
}

/// A database that keeps how many statements each write's body ran on SQLite's writer
/// (`SQLiteConnection.statementsRun`): what a use case costs, counted by the driver.
final class StatementCounting: WrappedWrites {
    let base: SQLiteDatabase
    private let counts = Mutex<[Int]>([])

    init(_ base: SQLiteDatabase) { self.base = base }

    /// The statements of the writes since the last call, one count per write.
    func takeCounts() -> [Int] {
        counts.withLock { counts in
            defer { counts = [] }
            return counts
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any Connection) throws -> T) async throws -> T {
        try await base.write { connection in
            let writer = try #require(connection as? SQLiteConnection)
            let before = writer.statementsRun
            let result = try body(connection)
            self.counts.withLock { $0.append(writer.statementsRun - before) }
            return result
        }
    }
}

extension TimelineTests {
    /// The statements an inbound text costs in its writer transaction, counted by the SQLite
    /// driver: a stranger's first text (contact and conversation made), the repeated question that
    /// escalates it, and a text to the escalated conversation (most texts under load, as in
    /// bench/inbound-ab.sh). Each read or write the path gains shows up here.
    @Test func theStatementsOfAnInboundText() async throws {
        let counting = StatementCounting(database)
        let inbound = Self.inboundService(on: counting, webhooks: EventWebhooks(isEnabled: false))
        for (index, body) in ["Is my order 1 on its way?", "Is my order 1 on its way?", "Where is order 2?"]
            .enumerated()
        {
            let text = InboundSMS(
                providerMessageID: "SM-count-\(index)", from: Self.phone, to: "+15005550006", body: body, segments: 1,
                optOutType: nil)
            _ = try await inbound.receive(text, raw: "MessageSid=SM-count-\(index)")
        }
        let state = try await database.read { connection -> ConversationState? in
            guard let contactID = try HandoffRepository(connection).contact(phone: Self.phone) else { return nil }
            return try ChatRepository(connection).openConversation(contactID: contactID)?.state
        }
        #expect(state == .escalated)
        // A text while escalated: the raw webhook, the sender's locale, the texts of ours it may
        // answer, the sender's contact with its open conversation (one statement, was two), the
        // message, its event, whether the customer texted before.
        #expect(counting.takeCounts() == [11, 19, 7], "first text, the escalating repeat, a text while escalated")
    }
}
