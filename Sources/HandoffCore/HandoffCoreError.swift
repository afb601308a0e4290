/// The one error type of HandoffCore: a rule said no to a value (a phone number, a form body,
/// an SMS text). `code` is stable snake_case; `message` is a sentence safe to show a visitor and
/// never echoes the rejected value.
public struct HandoffCoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// The input field at fault, when the caller named one.
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code): \(message)" }
}
