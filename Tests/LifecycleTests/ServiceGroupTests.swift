import Lifecycle
import Synchronization
import Testing

/// What the services of a test did, in order.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])

    func add(_ event: String) { events.withLock { $0.append(event) } }

    var all: [String] { events.withLock { $0 } }
}

struct ServiceFailed: Error, Equatable {
    let service: String
}

/// A service that records its start and stop, each taking a little while, so that a group that
/// did not wait for one before the next would show it in the log.
struct RecordingService: Service {
    enum Behaviour: Sendable {
        case serves
        case failsToStart
        /// Throws from `run` once the trigger fires.
        case failsWhen(Trigger)
        case endsOnItsOwn
    }

    let name: String
    let log: EventLog
    var behaviour = Behaviour.serves

    func start() async throws {
        log.add("start \(name)")
        try await Task.sleep(for: .milliseconds(20))
        if case .failsToStart = behaviour { throw ServiceFailed(service: name) }
        log.add("started \(name)")
    }

    func run(until shutdown: Trigger) async throws {
        switch behaviour {
        case .serves, .failsToStart: break
        case .failsWhen(let failure):
            await failure.wait()
            throw ServiceFailed(service: name)
        case .endsOnItsOwn: return
        }
        await shutdown.wait()
        log.add("stopping \(name)")
        try? await Task.sleep(for: .milliseconds(20))
        log.add("stopped \(name)")
    }
}

@Suite struct ServiceGroupTests {
    static func services(_ log: EventLog, _ behaviours: [String: RecordingService.Behaviour] = [:])
        -> [any Service]
    {
        ["a", "b", "c"].map { RecordingService(name: $0, log: log, behaviour: behaviours[$0] ?? .serves) }
    }

    @Test func startsInOrderAndStopsInReverseOrderEachStepFinishedBeforeTheNext() async throws {
        let log = EventLog()
        let (shutdown, started) = (Trigger(), Trigger())
        async let run: Void = ServiceGroup(Self.services(log)).run(until: shutdown, whenStarted: started.fire)
        await started.wait()
        #expect(log.all == ["start a", "started a", "start b", "started b", "start c", "started c"])
        shutdown.fire()
        try await run
        #expect(
            log.all.dropFirst(6) == ["stopping c", "stopped c", "stopping b", "stopped b", "stopping a", "stopped a"])
    }

    @Test func aFailingServiceStopsTheOthersInReverseOrderAndTheGroupThrowsItsError() async throws {
        let log = EventLog()
        let (failure, started) = (Trigger(), Trigger())
        let group = ServiceGroup(Self.services(log, ["b": .failsWhen(failure)]))
        let run = Task { try await group.run(until: Trigger(), whenStarted: started.fire) }
        await started.wait()
        failure.fire()
        await #expect(throws: ServiceFailed(service: "b")) { try await run.value }
        #expect(log.all.dropFirst(6) == ["stopping c", "stopped c", "stopping a", "stopped a"])
    }

    @Test func aServiceThatCannotStartStopsThoseStartedAndNoMoreStart() async throws {
        let log = EventLog()
        let started = Trigger()
        let group = ServiceGroup(Self.services(log, ["b": .failsToStart]))
        await #expect(throws: ServiceFailed(service: "b")) {
            try await group.run(until: Trigger(), whenStarted: started.fire)
        }
        #expect(log.all == ["start a", "started a", "start b", "stopping a", "stopped a"])
        #expect(!started.hasFired, "the group never counted as started")
    }

    @Test func aServiceThatEndsOnItsOwnStopsTheGroup() async throws {
        let log = EventLog()
        let group = ServiceGroup(Self.services(log, ["c": .endsOnItsOwn]))
        await #expect(throws: ServiceGroup.ServiceEnded.self) { try await group.run(until: Trigger()) }
        #expect(log.all.suffix(4) == ["stopping b", "stopped b", "stopping a", "stopped a"])
    }

    @Test func aShutdownBeforeTheStartEndsItWithNothingStarted() async throws {
        let log = EventLog()
        let shutdown = Trigger()
        shutdown.fire()
        try await ServiceGroup(Self.services(log)).run(until: shutdown)
        #expect(log.all == [])
    }

    @Test func cancellingTheGroupStopsEveryService() async throws {
        let log = EventLog()
        let started = Trigger()
        let run = Task { try await ServiceGroup(Self.services(log)).run(until: Trigger(), whenStarted: started.fire) }
        await started.wait()
        run.cancel()
        try await run.value
        #expect(Set(log.all.filter { $0.hasPrefix("stopped") }) == ["stopped a", "stopped b", "stopped c"])
    }

    @Test func inTheBackgroundStartReturnsOnceStartedAndStopShutsDown() async throws {
        let log = EventLog()
        let running = try await ServiceGroup(Self.services(log)).runInBackground()
        #expect(log.all.last == "started c")
        try await running.stop()
        #expect(log.all.last == "stopped a")

        await #expect(throws: ServiceFailed(service: "a")) {
            try await ServiceGroup(Self.services(log, ["a": .failsToStart])).runInBackground()
        }
    }
}

@Suite struct TriggerTests {
    @Test func everyWaiterGoesOnWhenItFiresAndLaterWaitsReturnAtOnce() async {
        let trigger = Trigger()
        let waiters = (0..<3).map { _ in Task { await trigger.wait() } }
        #expect(await !trigger.wait(atMost: .milliseconds(20)), "not fired: the wait times out")
        trigger.fire()
        for waiter in waiters { await waiter.value }
        await trigger.wait()
        #expect(await trigger.wait(atMost: .seconds(600)))
        #expect(trigger.hasFired)
    }

    @Test func aCancelledWaitReturns() async {
        let waiter = Task { await Trigger().wait() }
        waiter.cancel()
        await waiter.value
    }

    @Test func cancellingRunsTheWorkUntilItFires() async {
        let (trigger, working, log) = (Trigger(), Trigger(), EventLog())
        async let run: Void = trigger.cancelling {
            working.fire()
            try? await Task.sleep(for: .seconds(600))
            log.add(Task.isCancelled ? "cancelled" : "slept")
        }
        await working.wait()
        trigger.fire()
        await run
        #expect(log.all == ["cancelled"])
    }
}
