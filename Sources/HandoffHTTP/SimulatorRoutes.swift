import Foundation
import Gateway
package import GatewaySimulator
package import HTTPServer
import HandoffDomain

/// The simulated phones of the built-in gateway (API.md "gateway simulator"), only when
/// HANDOFF_GATEWAY=simulator: what a phone received, and texting us from it.
package struct SimulatorRoutes {
    let simulator: GatewaySimulator
    /// The number our texts come from: simulated phones reply to it.
    let sender: String

    package init(simulator: GatewaySimulator, sender: String) {
        self.simulator = simulator
        self.sender = sender
    }

    package struct Inbox: Encodable {
        var messages: [GatewaySimulator.Received]
    }

    package func register(in router: inout Router) {
        router.get("/sim/phones/{phone}/messages") { [simulator] request in
            try JSONBody.response(Inbox(messages: simulator.inbox(of: try Self.phone(request))))
        }
        router.post("/sim/phones/{phone}/reply") { [simulator, sender] request in
            let phone = try Self.phone(request)
            let reply = try JSONBody.decode(SimulatedReply.self, from: request)
            let status: Int
            do {
                status = try await simulator.reply(from: phone, to: sender, body: reply.body).status
            } catch let error as GatewayError {
                throw HTTPError(.serviceUnavailable, code: "simulator_failed", message: error.message)
            }
            let body = #"{"delivered":\#((200..<300).contains(status)),"webhook_status":\#(status)}"#
            return HTTPResponse(status: .accepted, contentType: "application/json", body: Array(body.utf8))
        }
    }

    private static func phone(_ request: HTTPRequest) throws -> String {
        let phone = request.pathParameters["phone"] ?? ""
        guard phone.hasPrefix("+"), phone.count >= 8, phone.count <= 16, phone.dropFirst().allSatisfy(\.isASCII),
            phone.dropFirst().allSatisfy(\.isNumber)
        else {
            throw HTTPError(
                .unprocessableEntity, code: "invalid_phone_number",
                message: "Use an E.164 number such as +14155552671.",
                field: "phone")
        }
        return phone
    }
}
