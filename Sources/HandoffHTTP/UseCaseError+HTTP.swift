package import HTTPServer
package import HandoffDomain

/// The one place use-case errors become HTTP responses (API.md's statuses and error bodies).
extension UseCaseError: HTTPResponseError {
    package var response: HTTPResponse { httpError.response }

    var httpError: HTTPError {
        switch kind {
        case .notFound: HTTPError(.notFound, code: code, message: message, field: field)
        case .forbidden: HTTPError(.forbidden, code: code, message: message, field: field)
        case .conflict: HTTPError(.conflict, code: code, message: message, field: field)
        case .invalid: HTTPError(.unprocessableEntity, code: code, message: message, field: field)
        case .malformed: HTTPError(.badRequest, code: code, message: message, field: field)
        case .rateLimited(let seconds):
            HTTPError(
                .tooManyRequests, code: code, message: message, field: field,
                headers: [("Retry-After", String(seconds))])
        case .unavailable(let seconds):
            HTTPError(
                .serviceUnavailable, code: code, message: message, field: field,
                headers: [("Retry-After", String(seconds))])
        }
    }
}
