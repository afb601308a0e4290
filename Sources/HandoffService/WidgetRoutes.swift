import HTTPServer

/// The visitor's API (API.md "Widget"): sessions, messages and live events, authenticated by the
/// session cookie.
struct WidgetRoutes {
    let chat: ChatService
    let handoff: HandoffFlow
    /// Limits handoff requests (codes) per IP address.
    let handoffLimiter: RateLimiter
    let cookie: SessionCookie
    let sessionLimiter: RateLimiter
    let addressLimiter: RateLimiter
    let eventStream: EventStream

    func register(in router: inout Router) {
        router.post("/v1/sessions") { [chat, cookie, handoff] request in
            let details = try JSONBody.decode(SessionDetails.self, from: request)
            let started = try await chat.startSession(token: SessionCookie.token(in: request), details: details)
            var headers = HTTPHeaders()
            if let token = started.newToken { headers.add(name: "Set-Cookie", value: cookie.setCookie(token)) }
            headers.add(name: "Cache-Control", value: "no-store")
            return try JSONBody.response(
                try await Self.session(started.context, handoff, request),
                status: started.newToken == nil ? .ok : .created,
                headers: headers)
        }
        router.get("/v1/session") { [chat, handoff] request in
            let visitor = try await Self.visitor(request, chat)
            return try JSONBody.response(
                try await Self.session(visitor, handoff, request), headers: ["Cache-Control": "no-store"])
        }
        router.post("/v1/handoff") { [chat, handoff, handoffLimiter] request in
            let visitor = try await Self.visitor(request, chat)
            let input = try JSONBody.decode(HandoffRequest.self, from: request)
            try handoffLimiter.take(request.remoteAddress)
            let state = try await handoff.start(
                phone: input.phone, consent: input.consent, program: input.program,
                requester: Self.requester(visitor, request))
            return try JSONBody.response(HandoffEnvelope(handoff: state), status: .accepted)
        }
        router.post("/v1/handoff/verify") { [chat, handoff, cookie] request in
            let visitor = try await Self.visitor(request, chat)
            let input = try JSONBody.decode(VerifyRequest.self, from: request)
            // The session's token is rotated with the confirmation (session fixation).
            let verified = try await handoff.verify(code: input.code, requester: Self.requester(visitor, request))
            return try JSONBody.response(
                HandoffEnvelope(handoff: verified.state),
                headers: ["Set-Cookie": cookie.setCookie(verified.sessionToken)])
        }
        router.delete("/v1/handoff") { [chat, handoff] request in
            let visitor = try await Self.visitor(request, chat)
            let state = try await handoff.stop(requester: Self.requester(visitor, request))
            return try JSONBody.response(HandoffEnvelope(handoff: state))
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

    static func visitor(_ request: HTTPRequest, _ chat: ChatService) async throws -> ChatService.VisitorContext {
        guard let token = SessionCookie.token(in: request), let visitor = try await chat.visitor(token: token) else {
            throw HTTPError(
                .unauthorized, code: "no_session", message: "Start a session with POST /v1/sessions first.")
        }
        return visitor
    }

    static func session(
        _ context: ChatService.VisitorContext, _ handoff: HandoffFlow, _ request: HTTPRequest
    ) async throws -> SessionJSON {
        SessionJSON(
            sessionID: context.session.id, conversationID: context.conversationID,
            handoff: try await handoff.state(of: context),
            consentText: handoff.disclosure(locale: request.headers["Accept-Language"]))
    }

    static func requester(_ visitor: ChatService.VisitorContext, _ request: HTTPRequest) -> HandoffFlow.Requester {
        HandoffFlow.Requester(
            session: visitor.session, conversationID: visitor.conversationID, ipAddress: request.remoteAddress,
            userAgent: request.headers["User-Agent"], locale: request.headers["Accept-Language"])
    }

    /// `{handoff}`.
    struct HandoffEnvelope: Encodable {
        var handoff: HandoffJSON
    }
}
