import DatabaseDriver
import Foundation
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

/// The dispatcher with a scripted handler and a clock the test moves.
@Suite struct OutboxDispatcherTests {
    /// Answers each attempt from a script; records what it saw.
    final class ScriptedHandler: OutboxDispatcher.Handler {
        let script: Mutex<[OutboxDispatcher.Outcome]>
        let attempts = Mutex<[Int64]>([])

        init(_ script: [OutboxDispatcher.Outcome]) { self.script = Mutex(script) }

        func deliver(_ item: inout OutboxItem) async -> OutboxDispatcher.Outcome {
            attempts.withLock { $0.append(item.id) }
            return script.withLock { $0.isEmpty ? .delivered : $0.removeFirst() }
        }
    }

    let directory: TemporaryDirectory
    let database: SQLiteDatabase
    let clock = TestClock()

    init() async throws {
        directory = try TemporaryDirectory()
        database = try SQLiteDatabase(path: directory.file("db.sqlite").path, readers: 1)
        let migrations = TestApplication.repositoryRoot.appendingPathComponent("migrations").path
        let migrator = try Migrator(directory: migrations)
        try await database.withWriter { try migrator.migrate($0) }
    }

    func dispatcher(_ handler: ScriptedHandler, maxAttempts: Int = 5) -> OutboxDispatcher {
        let clock = clock
        return OutboxDispatcher(
            database: database, handlers: [.webhook: handler], maxAttempts: maxAttempts,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })
    }

    func enqueue() async throws -> Int64 {
        let now = clock.now
        return try await database.write {
            try OutboxRepository($0).enqueue(kind: .webhook, payload: "{}", messageID: nil, requestID: nil, now: now)
        }
    }

    func item(_ id: Int64) async throws -> OutboxItem? {
        try await database.read { try OutboxRepository($0).item(id: id) }
    }

    @Test func deliversAsSoonAsWoken() async throws {
        let handler = ScriptedHandler([])
        let dispatcher = dispatcher(handler)
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        let id = try await enqueue()
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .done })
        try await running.stop()
    }

    @Test func retriesWithBackoffThenDeadLettersAndReplays() async throws {
        let handler = ScriptedHandler([
            .retry("HTTP 500", retryAfter: nil), .retry("HTTP 503", retryAfter: .seconds(120)),
        ])
        let dispatcher = dispatcher(handler, maxAttempts: 2)
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        let id = try await enqueue()
        dispatcher.wake()
        #expect(
            try await eventually(seconds: 5) {
                let row = try await item(id)
                return row?.attempts == 1 && row?.state == .pending
            })
        let first = try #require(try await item(id))
        let delay = first.nextAttemptAt - clock.now
        #expect((1_000...2_000).contains(delay), "2 s with jitter for the first retry")
        #expect(first.lastError == "HTTP 500")
        clock.advance(by: delay)
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .dead })
        #expect(try await item(id)?.lastError?.contains("gave up after 2 attempts") == true)

        let replayed = try await database.write {
            try OutboxRepository($0).replay(id: id, now: clock.now)
        }
        #expect(replayed)
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .done })
        try await running.stop()
    }

    @Test func honoursRetryAfterAndDeadLettersPermanentFailures() async throws {
        #expect(OutboxDispatcher.backoff(attempt: 1, retryAfter: .seconds(60)) == 60_000)
        #expect((2_000...4_000).contains(OutboxDispatcher.backoff(attempt: 3, retryAfter: nil) / 2))
        #expect(OutboxDispatcher.backoff(attempt: 40, retryAfter: nil) <= 3_600_000)
        let handler = ScriptedHandler([.failed("twilio_21211")])
        let dispatcher = dispatcher(handler)
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        let id = try await enqueue()
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .dead })
        #expect(handler.attempts.withLock { $0 } == [id])
        try await running.stop()
    }

    @Test func resumesRowsACrashLeftInFlight() async throws {
        let id = try await enqueue()
        let now = clock.now
        _ = try await database.write {
            try OutboxRepository($0).claim(id: id, node: "before the crash", leaseUntil: now + 30_000, now: now)
        }
        #expect(try await item(id)?.state == .sending)
        let handler = ScriptedHandler([])
        let dispatcher = dispatcher(handler)
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .done })
        #expect(try await item(id)?.attempts == 2, "the interrupted attempt counts")
        try await running.stop()
    }

    /// A webhook receiver that does not answer: held until the test lets it go.
    final class StalledHandler: OutboxDispatcher.Handler {
        let released = WakeSignal()

        func deliver(_ item: inout OutboxItem) async -> OutboxDispatcher.Outcome {
            await released.wait(timeout: .seconds(30))
            return .delivered
        }
    }

    @Test func aStalledWebhookReceiverDoesNotHoldUpTexts() async throws {
        let stalled = StalledHandler()
        let texts = ScriptedHandler([])
        let clock = clock
        let dispatcher = OutboxDispatcher(
            database: database, handlers: [.webhook: stalled, .sms: texts], maxAttempts: 5,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        let webhook = try await enqueue()
        let now = clock.now
        let text = try await database.write {
            try OutboxRepository($0).enqueue(kind: .sms, payload: "{}", messageID: nil, requestID: nil, now: now)
        }
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(text)?.state == .done })
        #expect(try await item(webhook)?.state == .sending)
        stalled.released.signal()
        #expect(try await eventually(seconds: 5) { try await item(webhook)?.state == .done })
        try await running.stop()
    }
}

extension OutboxDispatcherTests {
    /// Cannot begin its first attempt (a row it cannot read), then delivers.
    final class UnreadableOnceHandler: OutboxDispatcher.Handler {
        let failuresLeft = Mutex(1)

        struct Unreadable: Error {}

        func begin(_ attempt: OutboxItem, item: OutboxItem, timeline: TimelineWriter, now: Int64) throws
            -> OutboxDispatcher.Begun<OutboxItem>
        {
            let fail = failuresLeft.withLock { left in
                defer { left -= 1 }
                return left > 0
            }
            if fail { throw Unreadable() }
            return .send(attempt)
        }

        func deliver(_ item: inout OutboxItem) async -> OutboxDispatcher.Outcome { .delivered }
    }

    @Test func aRowThatCannotBeginWaitsItsBackoffLikeAFailedDelivery() async throws {
        let clock = clock
        let dispatcher = OutboxDispatcher(
            database: database, handlers: [.webhook: UnreadableOnceHandler()], maxAttempts: 5,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, now: { clock.now })
        let running = try await ServiceGroup([dispatcher]).runInBackground()
        let id = try await enqueue()
        dispatcher.wake()
        #expect(
            try await eventually(seconds: 5) {
                let row = try await item(id)
                return row?.attempts == 1 && row?.state == .pending
            })
        let row = try #require(try await item(id))
        #expect(row.lastError?.contains("Unreadable") == true)
        #expect((1_000...2_000).contains(row.nextAttemptAt - clock.now), "the first retry's backoff")
        clock.advance(by: row.nextAttemptAt - clock.now)
        dispatcher.wake()
        #expect(try await eventually(seconds: 5) { try await item(id)?.state == .done })
        try await running.stop()
    }
}
