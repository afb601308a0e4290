package import HTTPServer
import HTTPValues
import HandoffCore
package import HandoffDomain

/// The bot and agent API (API.md "Bots and agents"), authenticated by bearer API keys.
package struct AgentRoutes {
    let chat: ChatService
    let authenticator: APIKeyAuthenticator
    let defaultRegion: String
    let eventStream: EventStream

    package init(chat: ChatService, authenticator: APIKeyAuthenticator, defaultRegion: String, eventStream: EventStream)
    {
        self.chat = chat
        self.authenticator = authenticator
        self.defaultRegion = defaultRegion
        self.eventStream = eventStream
    }

    package func register(in router: inout Router) {
        route(&router, .get, "/v1/conversations") { chat, request, caller in
            let query = try QueryParameters(request)
            let page = try await chat.conversations(
                state: query["state"], queue: query["queue"], assigned: query["assigned"], intent: query["intent"],
                caller: caller, after: query["after"], limit: try query.limit())
            return try JSONBody.response(page)
        }
        route(&router, .get, "/v1/conversations/{id}") { chat, request in
            try JSONBody.response(try await chat.conversation(id: Self.id(request)))
        }
        route(&router, .get, "/v1/conversations/{id}/messages") { chat, request in
            let id = Self.id(request)
            _ = try await chat.conversation(id: id)
            let query = try QueryParameters(request)
            return try JSONBody.response(
                try await chat.messages(conversationID: id, after: query["after"], limit: try query.limit()))
        }
        route(&router, .post, "/v1/conversations/{id}/messages") { chat, request, caller in
            let input = try JSONBody.decode(AgentReply.self, from: request)
            let key = input.clientID ?? request.headers["Idempotency-Key"]
            let (message, created) = try await chat.postReply(
                conversationID: Self.id(request), author: input.author, agent: caller.agent, body: input.body,
                clientKey: key)
            return try JSONBody.response(
                MessageEnvelopeJSON(message: MessageJSON(message)), status: created ? .created : .ok)
        }
        route(&router, .post, "/v1/conversations/{id}/escalate") { chat, request in
            let input = try JSONBody.decode(EscalationRequest.self, from: request)
            let conversation = try await chat.escalate(
                conversationID: Self.id(request), queue: input.queue, reason: input.reason)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
        route(&router, .get, "/v1/contacts/{phone}/consents") { [defaultRegion] chat, request in
            let phone = try ConsentRoutes.phone(request, defaultRegion)
            return try JSONBody.response(ConsentLedgerJSON(consents: try await chat.consents(phone: phone)))
        }
        route(&router, .get, "/v1/agent/me") { _, _, caller in
            try JSONBody.response(SignedInJSON(caller))
        }
        route(&router, .post, "/v1/sms/preview") { chat, request in
            let input = try JSONBody.decode(TextPreviewRequest.self, from: request)
            return try JSONBody.response(try chat.previewText(input.body))
        }
        route(&router, .get, "/v1/agent/events") { [eventStream] _, request, caller in
            try eventStream.response(for: nil, session: nil, agent: caller.agent, request: request)
        }
        route(&router, .post, "/v1/conversations/{id}/close") { chat, request in
            let input = try JSONBody.decode(CloseRequest.self, from: request)
            let conversation = try await chat.close(conversationID: Self.id(request), resolution: input.resolution)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
        route(&router, .post, "/v1/conversations/{id}/assign") { chat, request, caller in
            let input = try JSONBody.decode(AssignRequest.self, from: request)
            let conversation = try await chat.assign(
                conversationID: Self.id(request), caller: caller, agentID: input.agentID, force: input.force ?? false)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
        route(&router, .post, "/v1/conversations/{id}/unassign") { chat, request, caller in
            let conversation = try await chat.unassign(conversationID: Self.id(request), caller: caller)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
        route(&router, .post, "/v1/conversations/{id}/transfer") { chat, request, caller in
            let input = try JSONBody.decode(TransferRequest.self, from: request)
            let conversation = try await chat.transfer(
                conversationID: Self.id(request), caller: caller, queue: input.queue, agentID: input.agentID)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
        route(&router, .post, "/v1/conversations/{id}/handback") { chat, request, caller in
            let conversation = try await chat.handBack(conversationID: Self.id(request), caller: caller)
            return try JSONBody.response(ConversationEnvelopeJSON(conversation: conversation))
        }
    }

    /// Adds a route that first checks the API key.
    private func route(
        _ router: inout Router, _ method: HTTPMethod, _ pattern: String,
        _ handler: @escaping @Sendable (ChatService, HTTPRequest) async throws -> HTTPResponse
    ) {
        route(&router, method, pattern) { chat, request, _ in try await handler(chat, request) }
    }

    /// Adds a route that first checks the API key and hands the handler who called.
    private func route(
        _ router: inout Router, _ method: HTTPMethod, _ pattern: String,
        _ handler: @escaping @Sendable (ChatService, HTTPRequest, Caller) async throws -> HTTPResponse
    ) {
        router.add(method, pattern) { [chat, authenticator] request in
            let caller = try await authenticator.authenticate(request)
            return try await handler(chat, request, caller)
        }
    }

    private static func id(_ request: HTTPRequest) -> String { request.pathParameters["id"] ?? "" }

}
