import DatabaseDriver
import Foundation
import Gateway
import SQLite
import Storage
import Synchronization
import TestSupport
import Testing

@testable import HandoffDomain
@testable import HandoffHTTP
@testable import HandoffService

/// Faults: the process killed under inbound load, the database locked by another process, the
/// disk full. What was acknowledged survives; what could not be stored is refused with 503 and
/// retried; the service recovers by itself. `make test-faults` runs them longer
/// (HANDOFF_FAULT_SECONDS, HANDOFF_FAULT_OUTBOUND).
@Suite struct FaultTests {
    static let loadSeconds = Double(ProcessInfo.processInfo.environment["HANDOFF_FAULT_SECONDS"] ?? "") ?? 1.5
    static let authToken = "crash-test-token"

    /// A signed inbound-SMS webhook for the daemon behind `client`.
    static func inbound(_ client: HTTPTestClient, sid: String) async throws -> Int {
        let parameters = [
            ("MessageSid", sid), ("From", "+1415555\(String(format: "%04d", abs(sid.hashValue) % 500))"),
            ("To", "+15005550006"), ("Body", "Message \(sid): is my order on its way?"), ("NumSegments", "1"),
            ("NumMedia", "0"), ("AccountSid", "AC" + String(repeating: "1", count: 32)), ("SmsStatus", "received"),
        ]
        let url = "http://127.0.0.1:\(client.port)\(TwilioWebhookRoutes.inboundPath)"
        let signature = TwilioSignature.compute(
            url: url, parameters: parameters.map { (name: $0.0, value: $0.1) }, authToken: authToken)
        let body = parameters.map {
            "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return try await client.request(
            "POST", TwilioWebhookRoutes.inboundPath,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
            body: body
        ).status
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: Daemon.binary.path), "needs swift build"))
    func killDashNineUnderInboundLoadKeepsEveryAcknowledgedWebhookOnce() async throws {
        let directory = try TemporaryDirectory()
        let (first, client) = try await Daemon.startOnTwilio(twilio: 9, directory: directory)
        let tally = Tally()
        let senders = (0..<8).map { lane in
            Task { [tally] in
                var index = 0
                while !tally.stop.load(ordering: .relaxed) {
                    let sid = "SM\(lane)x\(index)"
                    index += 1
                    tally.sent.withLock { _ = $0.insert(sid) }
                    guard let status = try? await Self.inbound(client, sid: sid) else {
                        // Refused at once once the daemon is gone: yield, or the loop holds its thread.
                        try? await Task.sleep(for: .milliseconds(5))
                        continue
                    }
                    if status == 200 { tally.acknowledged.withLock { _ = $0.insert(sid) } }
                }
            }
        }
        try await Task.sleep(for: .seconds(Self.loadSeconds))
        kill(first.processIdentifier, SIGKILL)
        try await Task.sleep(for: .milliseconds(100))
        tally.stop.store(true, ordering: .relaxed)
        for sender in senders { await sender.value }
        try await offPool { first.waitUntilExit() }
        let acked = tally.acknowledged.withLock { $0 }
        let attempted = tally.sent.withLock { $0 }
        #expect(acked.count > 50, "the load got going (\(acked.count) acknowledged)")

        let (second, again) = try await Daemon.startOnTwilio(twilio: 9, directory: directory)
        defer { second.terminate() }
        let database = try SQLiteConnection(path: directory.file("handoff.sqlite").path)
        let stored = Set(
            try database.query("SELECT provider_event_id AS id FROM inbound_events").map {
                try $0.get("id", as: String.self)
            })
        #expect(acked.isSubset(of: stored), "every webhook that got a 200 is stored")
        // The gateway retries whatever it did not see acknowledged (and some it did): each once.
        for sid in attempted.subtracting(acked).sorted() + acked.prefix(20) {
            #expect(try await Self.inbound(again, sid: sid) == 200)
        }
        let rows = try database.queryOne(
            """
            SELECT count(*) AS n, count(DISTINCT provider_event_id) AS d
            FROM messages JOIN inbound_events ON inbound_events.message_id = messages.id WHERE direction = 'inbound'
            """)
        #expect(try rows?.get("n", as: Int.self) == attempted.count, "one message per MessageSid sent")
        #expect(try rows?.get("n", as: Int.self) == rows?.get("d", as: Int.self), "none twice")
        print("inbound kill -9: \(attempted.count) sent, \(acked.count) acknowledged before the kill, all stored once")
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 shell"),
        Backend.sqliteOnly("another process holds the SQLite file's write lock"))
    func anotherProcessHoldingTheLockGets503AndTheServiceRecovers() async throws {
        try await TestApplication.live { application, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            let database = application.configuration.databasePath
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            holder.arguments = [database]
            let input = Pipe()
            holder.standardInput = input
            holder.standardOutput = FileHandle.nullDevice
            try holder.run()
            input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nSELECT 1;\n".utf8))
            try await Task.sleep(for: .milliseconds(300))
            // The writer waits out SQLite's busy timeout (5 s) first: read with a longer timeout.
            let raw = try RawHTTPClient(port: client.port, receiveTimeout: 20)
            try raw.send(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \(cookie)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
                    + #"{"body":"x"}"#)
            let refused = try HTTPTestClient.parse(await raw.readToEnd())
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "storage_unavailable")
            input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
            try input.fileHandleForWriting.close()
            try await offPool { holder.waitUntilExit() }
            let accepted = try await client.request("POST", "/v1/messages", headers: headers, body: #"{"body":"y"}"#)
            #expect(accepted.status == 201, "recovers once the lock is gone")
            let history = try await client.request("GET", "/v1/messages", headers: [("Cookie", cookie)])
            let bodies = (history.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String }
            #expect(bodies == ["y"], "the refused message was not stored")
        }
    }

    @Test(
        .enabled(if: geteuid() == 0, "mounts a small tmpfs: needs root"),
        Backend.sqliteOnly("the SQLite file is on the full disk"))
    func aFullDiskGets503AndEveryAcknowledgedMessageIsKept() async throws {
        let directory = try TemporaryDirectory()
        let mount = directory.file("small").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        guard try Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mount]) == 0 else {
            print("disk-full test skipped: cannot mount tmpfs here")
            return
        }
        defer { _ = try? Self.shell("/bin/umount", ["-l", mount]) }
        var acknowledged: [String] = []
        var refusals = 0
        let filler = mount + "/filler"
        try await TestApplication.live({
            $0.databasePath = mount + "/handoff.sqlite"
            $0.messagesPerMinutePerSession = 100_000
            $0.messagesPerMinutePerIP = 100_000
        }) { _, client, _ in
            let (cookie, _) = try await API.startSession(client)
            let headers = [("Cookie", cookie), ("Content-Type", "application/json")]
            // Leave a little room, then write until the disk is full.
            let free = try Self.freeBytes(mount)
            _ = FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - 400_000)))
            let text = String(repeating: "full disk test ", count: 120)
            for index in 0..<2000 where refusals < 5 {
                let body = "\(index) \(text)"
                let response = try await client.request(
                    "POST", "/v1/messages", headers: headers, body: #"{"body":"\#(body)"}"#)
                if response.status == 201 { acknowledged.append(body) }
                if response.status == 503 { refusals += 1 }
                #expect([201, 503].contains(response.status), "never a 500")
            }
            #expect(refusals == 5, "the full disk was reached and answered 503")
            try FileManager.default.removeItem(atPath: filler)
            let after = try await client.request(
                "POST", "/v1/messages", headers: headers, body: #"{"body":"room again"}"#)
            #expect(after.status == 201, "recovers once there is room")
            acknowledged.append("room again")
            var stored: [String] = []
            var cursor = ""
            repeat {
                let page = try await client.request(
                    "GET", "/v1/messages?limit=200&after=\(cursor)", headers: [("Cookie", cookie)])
                stored += (page.json?["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
                cursor = page.json?["next_after"] as? String ?? ""
            } while !cursor.isEmpty
            #expect(stored == acknowledged, "exactly what was acknowledged, in order")
        }
    }

    /// What the senders of the kill test saw.
    final class Tally: Sendable {
        let acknowledged = Mutex<Set<String>>([])
        let sent = Mutex<Set<String>>([])
        let stop = Atomic<Bool>(false)
    }

    private static func shell(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func freeBytes(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: path)
        return (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
    }
}
