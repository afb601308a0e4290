package import DatabaseDriver
import HTTPServer
import HTTPValues
package import HandoffDomain
import Storage

/// `GET /v1/events`: a conversation's events as Server-Sent Events; `GET /v1/agent/events`: every
/// conversation's, each event's data wrapped as `{"conversation_id": ..., "data": <event data>}`.
///
/// The stream subscribes first, then replays from the database everything after `Last-Event-ID`
/// (or nothing, for a fresh stream), then sends each new event as the hub signals it, reading it
/// from the database: the log, not the signal, is the truth, so nothing is skipped or repeated.
/// A comment line every heartbeat keeps proxies from closing an idle stream. Each stream holds a
/// place in `limiter` while it is open.
package struct EventStream: Sendable {
    let database: any Database
    let hub: EventHub
    let heartbeat: Duration
    let limiter: StreamLimiter

    package init(database: any Database, hub: EventHub, heartbeat: Duration, limiter: StreamLimiter) {
        self.database = database
        self.hub = hub
        self.heartbeat = heartbeat
        self.limiter = limiter
    }

    /// Events read per database round trip.
    static let batchSize = 200

    /// The stream of one conversation, or of every conversation when `conversationID` is nil;
    /// `session` is the widget session asking (nil for agents), whose streams are capped.
    func response(for conversationID: String?, session: String?, request: HTTPRequest) throws -> HTTPResponse {
        let lastEventID = try Self.lastEventID(request)
        let permit = try limiter.acquire(session: session)
        let headers: HTTPHeaders = [
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        ]
        return HTTPResponse(
            headers: headers,
            body: .stream { [database, hub, heartbeat, permit] writer in
                defer { permit.release() }
                let subscription = hub.subscribe(conversationID: conversationID)
                defer { hub.unsubscribe(subscription) }
                let start: Int64
                if let lastEventID {
                    start = lastEventID
                } else {
                    start = try await database.read {
                        try ChatRepository($0).lastEventSeq(conversationID: conversationID)
                    }
                }
                try await writer.write(Array("retry: 2000\n: connected\n\n".utf8))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            try await writer.write(Array(": heartbeat\n\n".utf8))
                        }
                    }
                    group.addTask {
                        var last = start
                        var pending = true
                        var wakeUps = subscription.wakeUps.makeAsyncIterator()
                        while true {
                            if pending {
                                last = try await Self.sendEvents(
                                    after: last, of: conversationID, database: database, writer: writer)
                            }
                            pending = await wakeUps.next() != nil
                            if !pending { return }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            })
    }

    /// Sends every logged event after `after`; returns the id of the last one sent.
    private static func sendEvents(
        after: Int64, of conversationID: String?, database: any Database, writer: any HTTPBodyWriter
    ) async throws -> Int64 {
        var last = after
        while true {
            let from = last
            let events = try await database.read { connection in
                try ChatRepository(connection).events(conversationID: conversationID, afterSeq: from, limit: batchSize)
            }
            guard !events.isEmpty else { return last }
            var bytes: [UInt8] = []
            for event in events {
                // Our conversation ids are letters, digits and `_`: nothing to escape.
                let data =
                    conversationID == nil
                    ? #"{"conversation_id":"\#(event.conversationID)","data":\#(event.payload)}"# : event.payload
                bytes += Array("id: \(event.seq)\nevent: \(event.type)\ndata: \(data)\n\n".utf8)
            }
            try await writer.write(bytes)
            last = events.last!.seq
            if events.count < batchSize { return last }
        }
    }

    private static func lastEventID(_ request: HTTPRequest) throws -> Int64? {
        let query = try QueryParameters(request)
        let text = request.headers["Last-Event-ID"] ?? query["last_event_id"]
        guard let text, !text.isEmpty else { return nil }
        guard let id = Int64(text), id >= 0 else {
            throw HTTPError(.badRequest, code: "invalid_last_event_id", message: "Last-Event-ID is not an event id.")
        }
        return id
    }
}
