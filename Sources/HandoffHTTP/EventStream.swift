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
/// It reads only settled events (`ChatRepository.events`: on PostgreSQL, those no earlier write
/// still running can precede), so that with several nodes writing it never moves past an event
/// that commits later with a smaller id.
/// A comment line every heartbeat keeps proxies from closing an idle stream. Each stream holds a
/// place in `limiter` while it is open; a named agent's stream makes the agent present
/// (`AgentPresence`) while it is open.
///
/// A conversation's own stream (the widget's) leaves out `conversation` events: the widget has no
/// use for them (its `handoff` events and the messages tell the visitor what matters), and they
/// name the agent who owns the conversation.
package struct EventStream: Sendable {
    let database: any Database
    let hub: EventHub
    let heartbeat: Duration
    let limiter: StreamLimiter
    let presence: AgentPresence?

    package init(
        database: any Database, hub: EventHub, heartbeat: Duration, limiter: StreamLimiter,
        presence: AgentPresence? = nil
    ) {
        self.database = database
        self.hub = hub
        self.heartbeat = heartbeat
        self.limiter = limiter
        self.presence = presence
    }

    /// Events read per database round trip.
    static let batchSize = 200

    /// The stream of one conversation, or of every conversation when `conversationID` is nil;
    /// `session` is the widget session asking (nil for agents), whose streams are capped; `agent`
    /// the named agent asking, present while the stream is open.
    func response(
        for conversationID: String?, session: String?, agent: AgentRecord? = nil, request: HTTPRequest
    ) throws -> HTTPResponse {
        let lastEventID = try Self.lastEventID(request)
        let permit = try limiter.acquire(session: session)
        let headers: HTTPHeaders = [
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        ]
        return HTTPResponse(
            headers: headers,
            body: .stream { [self, permit] writer in
                defer { permit.release() }
                guard let agent, let presence else {
                    return try await follow(conversationID, from: lastEventID, writer: writer)
                }
                let visit = await presence.arrive(agentID: agent.id)
                do {
                    try await follow(conversationID, from: lastEventID, writer: writer)
                } catch {
                    await presence.leave(visit)
                    throw error
                }
                await presence.leave(visit)
            })
    }

    /// Sends the events of `conversationID` (every conversation when nil) after `lastEventID` (or
    /// from now), then each new one, with heartbeats, until the client goes.
    private func follow(_ conversationID: String?, from lastEventID: Int64?, writer: any HTTPBodyWriter) async throws {
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
                        last = try await Self.sendSettledEvents(
                            after: last, of: conversationID, database: database, writer: writer)
                    }
                    pending = await wakeUps.next() != nil
                    if !pending { return }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The longest wait before reading again events that are committed but not settled yet.
    static let unsettledRetryLimit = Duration.milliseconds(100)

    /// Sends every logged event after `after`, reading again, sooner at first, while committed
    /// events wait for their place to become final (PostgreSQL: a write that began before them
    /// still runs, whose commit may wake nobody here); returns the id of the last one sent.
    private static func sendSettledEvents(
        after: Int64, of conversationID: String?, database: any Database, writer: any HTTPBodyWriter
    ) async throws -> Int64 {
        var last = after
        var retry = Duration.milliseconds(2)
        while true {
            let (sent, unsettled) = try await sendEvents(
                after: last, of: conversationID, database: database, writer: writer)
            last = sent
            guard unsettled else { return last }
            try await Task.sleep(for: retry)
            retry = min(retry * 2, unsettledRetryLimit)
        }
    }

    /// Sends every settled event after `after`; returns the id of the last one sent, and whether
    /// committed events after it are not settled yet.
    private static func sendEvents(
        after: Int64, of conversationID: String?, database: any Database, writer: any HTTPBodyWriter
    ) async throws -> (last: Int64, unsettled: Bool) {
        var last = after
        while true {
            let from = last
            let (events, unsettled) = try await database.read { connection in
                let chat = ChatRepository(connection)
                let events = try chat.events(conversationID: conversationID, afterSeq: from, limit: batchSize)
                guard events.count < batchSize else { return (events, false) }
                return (
                    events,
                    try chat.hasUnsettledEvents(conversationID: conversationID, afterSeq: events.last?.seq ?? from)
                )
            }
            guard !events.isEmpty else { return (last, unsettled) }
            var bytes: [UInt8] = []
            for event in events where conversationID == nil || event.type != TimelineWriter.conversationEvent {
                // Our conversation ids are letters, digits and `_`: nothing to escape.
                let data =
                    conversationID == nil
                    ? #"{"conversation_id":"\#(event.conversationID)","data":\#(event.payload)}"# : event.payload
                bytes += Array("id: \(event.seq)\nevent: \(event.type)\ndata: \(data)\n\n".utf8)
            }
            if !bytes.isEmpty { try await writer.write(bytes) }
            last = events.last!.seq
            if events.count < batchSize { return (last, unsettled) }
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
