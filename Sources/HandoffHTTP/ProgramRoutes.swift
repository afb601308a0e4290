package import HTTPServer
import HandoffCore
package import HandoffDomain

/// The programs people opt in to (API.md "Programs and consent"), read with an API key.
package struct ProgramRoutes {
    let handoff: HandoffFlow
    let authenticator: APIKeyAuthenticator

    package init(handoff: HandoffFlow, authenticator: APIKeyAuthenticator) {
        self.handoff = handoff
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        router.get("/v1/programs") { [handoff, authenticator] request in
            try await authenticator.authenticate(request)
            return try JSONBody.response(ProgramListJSON(programs: handoff.programs.programs))
        }
    }
}

/// `{programs}`: the configured programs, `chat` first.
struct ProgramListJSON: Encodable {
    let programs: [Program]
}
