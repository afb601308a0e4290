public import HTTPValues

/// An error that carries its own response: thrown by handlers, rendered by the server as
/// `{"error": {"code": ..., "message": ..., "field": ...}}` with the given status and headers.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    /// A stable snake_case code clients can branch on.
    public var code: String
    /// A human sentence; never contains personal data.
    public var message: String
    /// The request field at fault, if one is.
    public var field: String?
    /// Extra response headers, such as `Retry-After` or `Allow`.
    public var headers: HTTPHeaders

    public init(
        _ status: HTTPStatus, code: String, message: String, field: String? = nil, headers: [(String, String)] = []
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = HTTPHeaders(headers)
    }

    /// The JSON error response described in API.md.
    public var response: HTTPResponse {
        var json = #"{"error":{"code":"#
        json += JSONString.quote(code)
        json += #","message":"#
        json += JSONString.quote(message)
        if let field {
            json += #","field":"#
            json += JSONString.quote(field)
        }
        json += "}}"
        var response = HTTPResponse(
            status: status, contentType: "application/json; charset=utf-8", body: Array(json.utf8))
        for field in headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }
}

/// Minimal JSON string quoting for the few bodies the HTTP layer writes itself.
package enum JSONString {
    package static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
