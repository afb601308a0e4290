package import HandoffCore

/// Size limits of template requests, beyond which a body is refused with 422 `too_long`.
enum TemplateLimits {
    static let body = 1600
    static let name = 64
    static let items = 50
}

/// `POST /v1/templates`: a template definition and an optional `client_id`.
package struct TemplateCreateRequest: Decodable, Sendable {
    package var definition: TemplateDefinition
    package var clientID: String?

    private enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
    }

    package init(from decoder: any Decoder) throws {
        definition = try TemplateDefinition(from: decoder)
        clientID = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .clientID)
    }
}

extension TemplateCreateRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        [
            .text(definition.name, "name", TemplateLimits.name),
            .text(definition.program, "program", TemplateLimits.name),
            .text(definition.fallbackQueue, "fallback_queue", TemplateLimits.name),
            .text(clientID, "client_id", 255),
        ] + TemplateLimits.problems(definition.content)
    }
}

/// `PUT /v1/templates/{id}`: the fields of the new version; those left out stay as they are, and
/// `fallback_queue: null` removes the queue.
package struct TemplateUpdateRequest: Decodable, Sendable {
    package var changes: TemplateService.Changes

    private enum CodingKeys: String, CodingKey {
        case body, variables, replies, variants
        case fallbackQueue = "fallback_queue"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        changes = TemplateService.Changes(
            body: try container.decodeIfPresent(String.self, forKey: .body),
            variables: try container.decodeIfPresent([TemplateVariable].self, forKey: .variables),
            replies: try container.decodeIfPresent([TemplateReply].self, forKey: .replies),
            variants: try container.decodeIfPresent([TemplateVariant].self, forKey: .variants),
            fallbackQueue: container.contains(.fallbackQueue)
                ? .some(try container.decodeIfPresent(String.self, forKey: .fallbackQueue)) : .none)
    }
}

extension TemplateUpdateRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        let changes = changes
        return [.text(changes.fallbackQueue ?? nil, "fallback_queue", TemplateLimits.name)]
            + TemplateLimits.problems(
                TemplateContent(
                    body: changes.body ?? "", variables: changes.variables ?? [], replies: changes.replies ?? [],
                    variants: changes.variants ?? []))
    }
}

/// `POST /v1/templates/{id}/preview`: `{variables, locale?}`; a value may be a JSON string or
/// number (an amount such as 12.5).
package struct TemplatePreviewRequest: Decodable, Sendable {
    package var variables: [String: String]
    package var locale: String?

    private enum CodingKeys: String, CodingKey { case variables, locale }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        variables =
            try container.decodeIfPresent([String: TemplateValue].self, forKey: .variables)?
            .mapValues(\.text) ?? [:]
        locale = try container.decodeIfPresent(String.self, forKey: .locale)
    }
}

extension TemplatePreviewRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        [.text(locale, "locale", 35)]
            + variables.sorted { $0.key < $1.key }.map {
                .text($0.value, "variables.\($0.key)", TemplateVariable.maxURLLength)
            }
    }
}

/// A variable's value as JSON gives it: text, or a number written as text.
package struct TemplateValue: Decodable, Sendable {
    package var text: String

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else {
            text = String(try container.decode(Double.self))
        }
    }
}

extension TemplateLimits {
    /// `too_long` for a body, a reply body or a variant body past `body`, or more than `items`
    /// variables, replies or variants.
    static func problems(_ content: TemplateContent) -> [FieldProblem?] {
        var problems: [FieldProblem?] = [.text(content.body, "body", body)]
        for (field, count) in [
            ("variables", content.variables.count), ("replies", content.replies.count),
            ("variants", content.variants.count),
        ] where count > items {
            problems.append(
                FieldProblem(field: field, code: "too_long", message: "\(field) has more than \(items) items."))
        }
        problems += content.replies.enumerated().map { .text($1.replyBody, "replies[\($0)].reply_body", body) }
        problems += content.variants.enumerated().map { .text($1.body, "variants[\($0)].body", body) }
        return problems
    }
}
