package import HTTPServer
package import HandoffDomain

/// The handoff offer (API.md "The handoff offer"): bots and agents offer with an API key; the
/// widget stores its own offers and the visitor's "No thanks" with the session cookie.
package struct OfferRoutes {
    let chat: ChatService
    let offers: HandoffOffers
    let authenticator: APIKeyAuthenticator
    let cookie: SessionCookie

    package init(chat: ChatService, offers: HandoffOffers, authenticator: APIKeyAuthenticator, cookie: SessionCookie) {
        self.chat = chat
        self.offers = offers
        self.authenticator = authenticator
        self.cookie = cookie
    }

    package func register(in router: inout Router) {
        router.post("/v1/conversations/{id}/offer") { [offers, authenticator] request in
            try await authenticator.authenticate(request)
            let input = try JSONBody.decode(ReasonRequest.self, from: request)
            let offer = try await offers.offer(conversationID: request.pathParameters["id"] ?? "", reason: input.reason)
            return try JSONBody.response(OfferEnvelopeJSON(offer: offer))
        }
        router.post("/v1/handoff/offers") { [chat, offers, cookie] request in
            let visitor = try await WidgetRoutes.visitor(request, chat, cookie)
            let input = try JSONBody.decode(WidgetOfferRequest.self, from: request)
            let offer = try await offers.offer(visitor, reason: input.reason, questionID: input.questionID)
            return try JSONBody.response(OfferEnvelopeJSON(offer: offer), status: .created)
        }
        router.post("/v1/handoff/offers/{id}/decline") { [chat, offers, cookie] request in
            let visitor = try await WidgetRoutes.visitor(request, chat, cookie)
            let offer = try await offers.decline(visitor, offerID: request.pathParameters["id"] ?? "")
            return try JSONBody.response(OfferEnvelopeJSON(offer: offer))
        }
    }
}
