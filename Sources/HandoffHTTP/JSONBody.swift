import Foundation
import HTTPServer
import HTTPValues
import HandoffDomain

/// JSON in and out of handlers, with the API's error contract: a body that is not JSON is 400, a
/// content type other than `application/json` 415, valid JSON with a wrong, missing, too long or
/// malformed field 422 naming the field.
package enum JSONBody {
    /// Decodes the request body; an empty body without a content type decodes from `{}` when `T`
    /// allows it.
    static func decode<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws -> T {
        let contentType = request.headers["Content-Type"]
        if !request.body.isEmpty || contentType != nil {
            guard let contentType, isJSON(contentType) else {
                throw HTTPError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message: "Send the body as application/json.")
            }
        }
        let data = request.body.isEmpty ? Data("{}".utf8) : Data(request.body)
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw HTTPError(.badRequest, code: "invalid_json", message: "The body is not valid JSON.")
        } catch let DecodingError.typeMismatch(_, context) {
            throw invalidField(context, "has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw invalidField(context, "must not be null")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = fieldPath(context.codingPath + [key])
            throw HTTPError(
                .unprocessableEntity, code: "missing_field", message: "The field \(path) is required.", field: path)
        } catch let DecodingError.dataCorrupted(context) {
            throw invalidField(context, "is invalid")
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(.badRequest, code: "invalid_json", message: "The body could not be read as JSON.")
        }
        if let limited = value as? any LimitedFields, let problem = limited.problems.lazy.compactMap({ $0 }).first {
            throw HTTPError(.unprocessableEntity, code: problem.code, message: problem.message, field: problem.field)
        }
        return value
    }

    /// Whether a Content-Type is `application/json`, parameters (`; charset=utf-8`) allowed, and
    /// nothing else: a page on another site can send `text/plain` with any parameters (such as
    /// `text/plain; x=+json`) without a preflight.
    static func isJSON(_ contentType: String) -> Bool {
        let essence = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return essence.lowercased() == "application/json"
    }

    /// `variables[0].type`: keys joined by dots, array positions in brackets.
    private static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            }
        }
    }

    private static func invalidField(_ context: DecodingError.Context, _ problem: String) -> HTTPError {
        let path = fieldPath(context.codingPath)
        return HTTPError(
            .unprocessableEntity, code: "invalid_field", message: "The field \(path) \(problem).", field: path)
    }

    /// A JSON response.
    static func response<T: Encodable>(_ value: T, status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders())
        throws -> HTTPResponse
    {
        HTTPResponse(
            status: status, contentType: "application/json; charset=utf-8", body: Array(try JSONPayload.encode(value)),
            headers: headers)
    }
}
