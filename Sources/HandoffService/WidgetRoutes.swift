import HTTPServer

/// The visitor's API (API.md "Widget"): sessions, messages and live events, authenticated by the
/// session cookie.
struct WidgetRoutes {
    let chat: ChatService
    let cookie: SessionCookie
    let sessionLimiter: RateLimiter
    let addressLimiter: RateLimiter
    let eventStream: EventStream

    func register(in router: inout Router) {
        router.post("/v1/sessions") { [chat, cookie] request in
            let details = try JSONBody.decode(ChatService.SessionDetails.self, from: request)
            let started = try await chat.startSession(token: SessionCookie.token(in: request), details: details)
            var headers = HTTPHeaders()
            if let token = started.newToken { headers.add(name: "Set-Cookie", value: cookie.setCookie(token)) }
            headers.add(name: "Cache-Control", value: "no-store")
            return try JSONBody.response(
                Self.session(started.context), status: started.newToken == nil ? .ok : .created, headers: headers)
        }
        router.get("/v1/session") { [chat] request in
            let visitor = try await Self.visitor(request, chat)
            return try JSONBody.response(Self.session(visitor), headers: ["Cache-Control": "no-store"])
        }
        router.post("/v1/messages") { [chat, sessionLimiter, addressLimiter] request in
            let visitor = try await Self.visitor(request, chat)
            let input = try JSONBody.decode(NewMessage.self, from: request)
            try sessionLimiter.take(visitor.session.id)
            try addressLimiter.take(request.remoteAddress)
            let key = input.clientID ?? request.headers["Idempotency-Key"]
            let (message, created) = try await chat.postVisitorMessage(visitor, body: input.body, clientKey: key)
            return try JSONBody.response(
                MessageEnvelopeJSON(message: MessageJSON(message)), status: created ? .created : .ok)
        }
        router.get("/v1/messages") { [chat] request in
            let visitor = try await Self.visitor(request, chat)
            let query = try QueryParameters(request)
            let page = try await chat.messages(
                conversationID: visitor.conversationID, after: query["after"], limit: try query.limit())
            return try JSONBody.response(page, headers: ["Cache-Control": "no-store"])
        }
        router.get("/v1/events") { [chat, eventStream] request in
            let visitor = try await Self.visitor(request, chat)
            return try eventStream.response(for: visitor.conversationID, request: request)
        }
    }

    /// `{body, client_id?}` from the widget.
    struct NewMessage: Decodable {
        var body: String
        var clientID: String?

        enum CodingKeys: String, CodingKey {
            case body
            case clientID = "client_id"
        }
    }

    static func visitor(_ request: HTTPRequest, _ chat: ChatService) async throws -> ChatService.VisitorContext {
        guard let token = SessionCookie.token(in: request), let visitor = try await chat.visitor(token: token) else {
            throw HTTPError(
                .unauthorized, code: "no_session", message: "Start a session with POST /v1/sessions first.")
        }
        return visitor
    }

    static func session(_ context: ChatService.VisitorContext) -> SessionJSON {
        SessionJSON(sessionID: context.session.id, conversationID: context.conversationID, handoff: .none)
    }
}
