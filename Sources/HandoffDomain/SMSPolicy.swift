import HandoffCore

/// Rules every outbound text follows before it is queued: optional smart encoding and a cap on
/// segments (a text past it is refused with 422, never split into a costly burst).
package struct SMSPolicy: Sendable {
    var smartEncoding: Bool
    var maxSegments: Int

    package init(smartEncoding: Bool, maxSegments: Int) {
        self.smartEncoding = smartEncoding
        self.maxSegments = maxSegments
    }

    static let standard = SMSPolicy(smartEncoding: false, maxSegments: 10)

    /// The text as it will be sent, measured: what an agent's reply box shows as it is typed.
    func preview(_ body: String) -> TextPreviewJSON {
        TextPreviewJSON(sent: smartEncoding ? SMSSmartEncoding.apply(body) : body, maxSegments: maxSegments)
    }

    /// The text as it will be sent, or 422 when it needs more segments than allowed.
    func prepare(_ body: String) throws -> String {
        let text = smartEncoding ? SMSSmartEncoding.apply(body) : body
        let segments = SMSSegments(body: text).count
        guard segments <= maxSegments else {
            throw UseCaseError(
                .invalid, code: "too_many_segments",
                message: "This text needs \(segments) SMS segments; at most \(maxSegments) are allowed.", field: "body")
        }
        return text
    }
}
