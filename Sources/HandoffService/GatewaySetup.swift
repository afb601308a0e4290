import Gateway
import GatewaySimulator
import HandoffDomain
import HandoffHTTP

/// The SMS gateway the configuration asks for: Twilio, or the built-in simulator (a service of
/// its own, on its own loopback listener) reached through the same Twilio adapter.
struct GatewaySetup: Sendable {
    let gateway: any SMSGateway
    /// Set when HANDOFF_GATEWAY=simulator.
    let simulator: GatewaySimulator?
    /// The number (or Messaging Service) our texts come from.
    let sender: String

    /// The simulator's sender when none is configured: Twilio's "valid sender" test number.
    static let simulatorSender = "+15005550006"

    static func make(_ configuration: Configuration, client: HTTPClient) -> GatewaySetup {
        switch configuration.gateway {
        case .twilio:
            let sender: TwilioGateway.Sender =
                configuration.twilioMessagingServiceSID.map { .messagingService($0) }
                ?? .number(configuration.twilioFrom ?? "")
            let gateway = TwilioGateway(
                accountSID: configuration.twilioAccountSID ?? "", authToken: configuration.twilioAuthToken ?? "",
                sender: sender, apiBase: configuration.twilioAPIBase, client: client)
            return GatewaySetup(
                gateway: gateway, simulator: nil,
                sender: configuration.twilioFrom ?? configuration.twilioMessagingServiceSID ?? "")
        case .simulator:
            let account = "AC" + String(repeating: "0", count: 32)
            let token = Identifiers.sessionToken()
            let simulator = GatewaySimulator(
                accountSID: account, authToken: token,
                inboundWebhookURL: configuration.publicURL + TwilioWebhookRoutes.inboundPath, client: client)
            let sender = configuration.twilioFrom ?? simulatorSender
            let gateway = TwilioGateway(
                accountSID: account, authToken: token, sender: .number(sender), apiBase: simulator.apiBase,
                client: client)
            return GatewaySetup(gateway: gateway, simulator: simulator, sender: sender)
        }
    }
}
