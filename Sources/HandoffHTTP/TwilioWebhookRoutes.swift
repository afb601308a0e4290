package import Gateway
package import HTTPServer
import HTTPValues
package import HandoffDomain
package import Logging

/// Twilio's webhooks (API.md "Gateway webhooks"): authenticated by `X-Twilio-Signature` over the
/// public URL they were configured with; a bad or missing signature is 403 and changes nothing.
package struct TwilioWebhookRoutes {
    let logger: Logger
    let counters: ServiceCounters
    let gateway: any SMSGateway
    let sms: SMSService
    let inbound: InboundSMSService
    /// HANDOFF_PUBLIC_URL: signatures are computed over it, never over the Host header.
    let publicURL: String

    package init(
        logger: Logger, counters: ServiceCounters, gateway: any SMSGateway, sms: SMSService, inbound: InboundSMSService,
        publicURL: String
    ) {
        self.logger = logger
        self.counters = counters
        self.gateway = gateway
        self.sms = sms
        self.inbound = inbound
        self.publicURL = publicURL
    }

    package static let statusPath = "/v1/webhooks/twilio/status"
    package static let inboundPath = "/v1/webhooks/twilio/inbound"

    package func register(in router: inout Router) {
        router.post(Self.statusPath) { [gateway, sms, publicURL, logger, counters] request in
            let form = try Self.authenticatedForm(
                request, gateway: gateway, publicURL: publicURL, logger: logger, counters: counters)
            let report: DeliveryReport
            do {
                report = try gateway.parseDeliveryReport(form)
            } catch let error as GatewayError {
                throw HTTPError(.badRequest, code: error.code, message: error.message)
            }
            try await sms.apply(report)
            return HTTPResponse(status: .ok, contentType: "text/plain; charset=utf-8", body: [])
        }
        router.post(Self.inboundPath) { [gateway, inbound, publicURL, logger, counters] request in
            let form = try Self.authenticatedForm(
                request, gateway: gateway, publicURL: publicURL, logger: logger, counters: counters)
            let text: InboundSMS
            do {
                text = try gateway.parseInbound(form)
            } catch let error as GatewayError {
                throw HTTPError(.badRequest, code: error.code, message: error.message)
            }
            return Self.twiml(try await inbound.receive(text, raw: String(decoding: request.body, as: UTF8.self)))
        }
    }

    /// TwiML: `<Response/>`, or one `<Message>` with the XML-escaped text.
    static func twiml(_ reply: String?) -> HTTPResponse {
        var body = #"<?xml version="1.0" encoding="UTF-8"?>"#
        if let reply {
            var escaped = ""
            for character in reply {
                switch character {
                case "&": escaped += "&amp;"
                case "<": escaped += "&lt;"
                case ">": escaped += "&gt;"
                case "\"": escaped += "&quot;"
                case "'": escaped += "&apos;"
                default: escaped.append(character)
                }
            }
            body += "<Response><Message>\(escaped)</Message></Response>"
        } else {
            body += "<Response/>"
        }
        return HTTPResponse(status: .ok, contentType: "text/xml; charset=utf-8", body: Array(body.utf8))
    }

    /// The decoded form, when the signature over the public URL (and the query, if any) verifies.
    /// Logs why a webhook was refused (never its body, which may hold a message or a number).
    static func authenticatedForm(
        _ request: HTTPRequest, gateway: any SMSGateway, publicURL: String, logger: Logger, counters: ServiceCounters
    ) throws -> URLEncodedForm {
        let form: URLEncodedForm
        do {
            form = try URLEncodedForm(decoding: request.body)
        } catch {
            logger.warning(
                "webhook refused",
                metadata: [
                    "route": "\(request.path)", "reason": "malformed form", "request_id": "\(request.requestID)",
                ])
            throw HTTPError(.badRequest, code: "invalid_form", message: error.message)
        }
        guard gateway.isAuthentic(url: publicURL + request.target, form: form, headers: request.headers) else {
            let reason =
                request.headers["X-Twilio-Signature"] == nil
                ? "no X-Twilio-Signature header" : "signature does not match \(publicURL)\(request.path)"
            counters.increment("handoff_webhook_signature_failures_total", [("route", "\(request.path)")])
            logger.warning(
                "webhook refused",
                metadata: ["route": "\(request.path)", "reason": "\(reason)", "request_id": "\(request.requestID)"])
            throw HTTPError(.forbidden, code: "invalid_signature", message: "The request signature is not valid.")
        }
        return form
    }
}
