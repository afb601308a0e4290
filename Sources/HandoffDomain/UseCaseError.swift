/// What a use case refuses, in its own terms: a kind the edge maps to a status, a stable
/// snake_case `code` clients branch on, a human `message` (never personal data), and the request
/// `field` at fault when one is. Use cases throw it; `UseCaseError+HTTP.swift` renders it as
/// API.md's error body, and the command line prints its message.
package struct UseCaseError: Error, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// The thing named does not exist (or is not the caller's to see).
        case notFound
        /// The caller may not do this (another agent's conversation, a supervisor's action, an
        /// identity it could not prove).
        case forbidden
        /// The request is valid but the state forbids it now.
        case conflict
        /// A well-formed request with a value that is not acceptable.
        case invalid
        /// A request that cannot be read as one (a cursor we never issued).
        case malformed
        /// Too many of these; try again after the given seconds.
        case rateLimited(retryAfterSeconds: Int)
        /// Cannot be done right now (nothing was changed); try again after the given seconds.
        case unavailable(retryAfterSeconds: Int)
    }

    package var kind: Kind
    package var code: String
    package var message: String
    package var field: String?

    init(_ kind: Kind, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }
}
