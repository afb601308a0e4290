package import HTTPServer
import HTTPValues
package import HandoffDomain
import Storage

/// The visitor's API (API.md "Widget"): sessions, messages and live events, authenticated by the
/// session cookie.
package struct WidgetRoutes {
    let chat: ChatService
    let handoff: HandoffFlow
    /// Limits handoff requests (codes) per IP address.
    let handoffLimiter: RateLimiter
    let cookie: SessionCookie
    let sessionLimiter: RateLimiter
    let addressLimiter: RateLimiter
    /// Limits new sessions per client address (a resumed one is not counted).
    let sessionCreationLimiter: RateLimiter
    let eventStream: EventStream

    package init(
        chat: ChatService, handoff: HandoffFlow, handoffLimiter: RateLimiter, cookie: SessionCookie,
        sessionLimiter: RateLimiter, addressLimiter: RateLimiter, sessionCreationLimiter: RateLimiter,
        eventStream: EventStream
    ) {
        self.chat = chat
        self.handoff = handoff
        self.handoffLimiter = handoffLimiter
        self.cookie = cookie
        self.sessionLimiter = sessionLimiter
        self.addressLimiter = addressLimiter
        self.sessionCreationLimiter = sessionCreationLimiter
        self.eventStream = eventStream
    }

    package func register(in router: inout Router) {
        router.post("/v1/sessions") { [chat, cookie, handoff, sessionCreationLimiter] request in
            let details = try JSONBody.decode(SessionDetails.self, from: request)
            let identity = try chat.identity.verify(externalID: details.externalID, hash: details.identityHash)
            var headers: HTTPHeaders = ["Cache-Control": "no-store"]
            // A resumed session keeps its contact unless the visitor proved to be another one the
            // business knows: then a new session of that contact is theirs.
            if let visitor = try await Self.existingVisitor(
                request, chat, cookie, attribution: ConversationAttribution(details))
            {
                let keepsContact = if let identity { try await chat.identify(visitor, as: identity) } else { true }
                if keepsContact {
                    return try JSONBody.response(
                        try await Self.session(visitor, handoff, request, program: details.program), headers: headers)
                }
            }
            try sessionCreationLimiter.take(request.clientAddress)
            let (context, token) = try await chat.startSession(details: details, identity: identity)
            headers.add(name: "Set-Cookie", value: cookie.setCookie(token))
            return try JSONBody.response(
                try await Self.session(context, handoff, request, program: details.program), status: .created,
                headers: headers)
        }
        router.get("/v1/session") { [chat, handoff, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            return try JSONBody.response(
                try await Self.session(visitor, handoff, request), headers: ["Cache-Control": "no-store"])
        }
        router.post("/v1/handoff") { [chat, handoff, handoffLimiter, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            let input = try JSONBody.decode(HandoffRequest.self, from: request)
            try handoff.checkProgram(input.program)
            try handoffLimiter.take(request.clientAddress)
            let state = try await handoff.start(
                phone: input.phone, consent: input.consent, program: input.program,
                requester: Self.requester(visitor, request))
            return try JSONBody.response(HandoffEnvelope(handoff: state), status: .accepted)
        }
        router.post("/v1/handoff/verify") { [chat, handoff, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            let input = try JSONBody.decode(VerifyRequest.self, from: request)
            // The session's token is rotated with the confirmation (session fixation).
            let verified = try await handoff.verify(code: input.code, requester: Self.requester(visitor, request))
            return try JSONBody.response(
                HandoffEnvelope(handoff: verified.state),
                headers: ["Set-Cookie": cookie.setCookie(verified.sessionToken)])
        }
        router.delete("/v1/handoff") { [chat, handoff, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            let state = try await handoff.stop(requester: Self.requester(visitor, request))
            return try JSONBody.response(HandoffEnvelope(handoff: state))
        }
        router.post("/v1/messages") { [chat, sessionLimiter, addressLimiter, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            let input = try JSONBody.decode(NewMessage.self, from: request)
            try sessionLimiter.take(visitor.session.id)
            try addressLimiter.take(request.clientAddress)
            let key = input.clientID ?? request.headers["Idempotency-Key"]
            let (message, created) = try await chat.postVisitorMessage(visitor, body: input.body, clientKey: key)
            return try JSONBody.response(
                MessageEnvelopeJSON(message: MessageJSON(message)), status: created ? .created : .ok)
        }
        router.get("/v1/messages") { [chat, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            let query = try QueryParameters(request)
            let page = try await chat.messages(
                conversationID: visitor.conversationID, after: query["after"], limit: try query.limit())
            return try JSONBody.response(page, headers: ["Cache-Control": "no-store"])
        }
        router.get("/v1/events") { [chat, eventStream, cookie] request in
            let visitor = try await Self.visitor(request, chat, cookie)
            return try eventStream.response(
                for: visitor.conversationID, session: visitor.session.id, request: request)
        }
    }

    static func visitor(
        _ request: HTTPRequest, _ chat: ChatService, _ cookie: SessionCookie
    ) async throws -> ChatService.VisitorContext {
        guard let visitor = try await existingVisitor(request, chat, cookie) else {
            throw HTTPError(
                .unauthorized, code: "no_session", message: "Start a session with POST /v1/sessions first.")
        }
        return visitor
    }

    /// The session of the first of the request's cookies that opens one (a conversation it
    /// starts has `attribution`).
    static func existingVisitor(
        _ request: HTTPRequest, _ chat: ChatService, _ cookie: SessionCookie,
        attribution: ConversationAttribution = ConversationAttribution()
    ) async throws -> ChatService.VisitorContext? {
        for token in cookie.tokens(in: request) {
            if let visitor = try await chat.visitor(token: token, attribution: attribution) { return visitor }
        }
        return nil
    }

    /// The session as the widget sees it, with the disclosure of `program` (the default one when
    /// nil or not configured) in the visitor's language.
    static func session(
        _ context: ChatService.VisitorContext, _ handoff: HandoffFlow, _ request: HTTPRequest, program: String? = nil
    ) async throws -> SessionJSON {
        SessionJSON(
            sessionID: context.session.id, conversationID: context.conversationID,
            handoff: try await handoff.state(of: context),
            consentText: handoff.disclosure(
                program: program.flatMap { handoff.programs.program($0)?.id },
                locale: request.headers["Accept-Language"]))
    }

    /// Who asks, for the consent ledger: the client address, and the User-Agent and
    /// Accept-Language headers cut to their recorded lengths (`FieldLimits`).
    static func requester(_ visitor: ChatService.VisitorContext, _ request: HTTPRequest) -> HandoffFlow.Requester {
        HandoffFlow.Requester(
            session: visitor.session, conversationID: visitor.conversationID, ipAddress: request.clientAddress,
            userAgent: request.headers["User-Agent"].map { String($0.prefix(FieldLimits.userAgent)) },
            locale: request.headers["Accept-Language"].map { String($0.prefix(FieldLimits.acceptLanguage)) })
    }

    /// `{handoff}`.
    package struct HandoffEnvelope: Encodable {
        var handoff: HandoffJSON
    }
}
