/// The kinds of outbox rows, each delivered by its own dispatcher loop and handler: `Storage`
/// stores the kind as text and does not know the list.
package enum OutboxKind {
    /// A text to send (`SMSDeliveryHandler`).
    package static let sms = "sms"
    /// A business event to POST (`EventWebhookHandler`).
    package static let webhook = "webhook"
    /// Every kind, in the order `/metrics` lists them.
    package static let all = [sms, webhook]
}
