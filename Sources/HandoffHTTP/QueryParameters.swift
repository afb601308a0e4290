import HTTPServer
import HTTPValues

/// The decoded query string of a request; a malformed escape is a 400.
package struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ request: HTTPRequest) throws {
        guard let query = request.query else { return }
        guard let form = try? URLEncodedForm(decoding: Array(query.utf8)) else {
            throw HTTPError(.badRequest, code: "invalid_query", message: "The query string is malformed.")
        }
        for (name, value) in form.fields where values[name] == nil { values[name] = value }
    }

    subscript(name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }

    /// `limit` between 1 and 200, default 50.
    func limit() throws -> Int {
        guard let text = self["limit"] else { return 50 }
        guard let limit = Int(text), (1...200).contains(limit) else {
            throw HTTPError(
                .unprocessableEntity, code: "invalid_field", message: "limit must be from 1 to 200.", field: "limit")
        }
        return limit
    }
}
