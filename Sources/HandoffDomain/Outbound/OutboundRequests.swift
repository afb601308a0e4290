/// Who a text is for, as a request names them: a number (E.164, or as typed in the default region)
/// or a contact id as a string, or `{external_id}`: the contact the business knows by that id.
package enum RecipientReference: Decodable, Sendable, Equatable {
    case text(String)
    case externalID(String)

    private enum CodingKeys: String, CodingKey {
        case externalID = "external_id"
    }

    package init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = .text(text)
        } else {
            self = .externalID(try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .externalID))
        }
    }

    /// 422 `too_long` for a number or id longer than anyone's.
    var problem: FieldProblem? {
        switch self {
        case .text(let text): .text(text, "to", 64)
        case .externalID(let id): .text(id, "to.external_id", 255)
        }
    }
}

/// `POST /v1/outbound`.
package struct OutboundRequest: Decodable, Sendable {
    var to: RecipientReference
    var program: String
    /// A template id, or a name whose locale is chosen for the recipient.
    var template: String
    var variables: [String: String]
    var locale: String?
    var sendAt: String?
    var campaign: String?
    package var clientID: String?

    enum CodingKeys: String, CodingKey {
        case to, program, template, variables, locale, campaign
        case sendAt = "send_at"
        case clientID = "client_id"
    }

    init(
        to: RecipientReference, program: String, template: String, variables: [String: String], locale: String?,
        sendAt: String?,
        campaign: String?
    ) {
        self.to = to
        self.program = program
        self.template = template
        self.variables = variables
        self.locale = locale
        self.sendAt = sendAt
        self.campaign = campaign
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode(RecipientReference.self, forKey: .to)
        program = try container.decode(String.self, forKey: .program)
        template = try container.decode(String.self, forKey: .template)
        variables =
            try container.decodeIfPresent([String: TemplateValue].self, forKey: .variables)?.mapValues(\.text)
            ?? [:]
        locale = try container.decodeIfPresent(String.self, forKey: .locale)
        sendAt = try container.decodeIfPresent(String.self, forKey: .sendAt)
        campaign = try container.decodeIfPresent(String.self, forKey: .campaign)
        clientID = try container.decodeIfPresent(String.self, forKey: .clientID)
    }
}

extension OutboundRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        [
            to.problem, .text(program, "program", FieldLimits.program),
            .text(template, "template", 64), .text(locale, "locale", FieldLimits.locale),
            .text(sendAt, "send_at", 40), .text(campaign, "campaign", 128), .text(clientID, "client_id", 255),
        ] + variables.sorted { $0.key < $1.key }.map { .text($0.value, "variables.\($0.key)", 2048) }
    }
}

/// `POST /v1/outbound/batch`: one program and template for up to 1,000 recipients.
package struct OutboundBatchRequest: Decodable, Sendable {
    var program: String
    var template: String
    var campaign: String?
    package var recipients: [Recipient]

    /// One recipient of a batch.
    package struct Recipient: Decodable, Sendable {
        var to: RecipientReference
        var variables: [String: String]
        var locale: String?
        var sendAt: String?
        var clientID: String?

        enum CodingKeys: String, CodingKey {
            case to, variables, locale
            case sendAt = "send_at"
            case clientID = "client_id"
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            to = try container.decode(RecipientReference.self, forKey: .to)
            variables =
                try container.decodeIfPresent([String: TemplateValue].self, forKey: .variables)?.mapValues(\.text)
                ?? [:]
            locale = try container.decodeIfPresent(String.self, forKey: .locale)
            sendAt = try container.decodeIfPresent(String.self, forKey: .sendAt)
            clientID = try container.decodeIfPresent(String.self, forKey: .clientID)
        }
    }
}

extension OutboundBatchRequest: LimitedFields {
    package var problems: [FieldProblem?] {
        var problems: [FieldProblem?] = [
            .text(program, "program", FieldLimits.program), .text(template, "template", 64),
            .text(campaign, "campaign", 128),
        ]
        if recipients.isEmpty || recipients.count > OutboundService.maxBatch {
            problems.append(
                FieldProblem(
                    field: "recipients", code: "invalid_field",
                    message: "recipients lists 1 to \(OutboundService.maxBatch) recipients."))
        }
        return problems
    }
}
