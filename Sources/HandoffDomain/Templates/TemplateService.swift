package import DatabaseDriver
import Foundation
package import HandoffCore
import Storage

/// Templates (API.md "Templates"): saved as drafts after every check, versioned, approved by an
/// admin key, previewed as they would be sent, archived. Sending from them is `OutboundService`'s.
package final class TemplateService: Sendable {
    /// What templates are checked and rendered against; replaced on SIGHUP.
    package struct Settings: Sendable {
        var brand: String
        var programs: ProgramCatalog
        var vocabulary: Keyword.Vocabulary
        /// Typographic look-alikes are replaced before a text is measured and sent.
        var smartEncoding: Bool
        var maxSegments: Int

        package init(
            brand: String, programs: ProgramCatalog, vocabulary: Keyword.Vocabulary = .init(), smartEncoding: Bool,
            maxSegments: Int = 3
        ) {
            self.brand = brand
            self.programs = programs
            self.vocabulary = vocabulary
            self.smartEncoding = smartEncoding
            self.maxSegments = maxSegments
        }
    }

    /// The changes of a new version: each field given replaces the current version's.
    package struct Changes: Sendable {
        var body: String?
        var variables: [TemplateVariable]?
        var replies: [TemplateReply]?
        var variants: [TemplateVariant]?
        var fallbackQueue: String??

        package init(
            body: String? = nil, variables: [TemplateVariable]? = nil, replies: [TemplateReply]? = nil,
            variants: [TemplateVariant]? = nil, fallbackQueue: String?? = nil
        ) {
            self.body = body
            self.variables = variables
            self.replies = replies
            self.variants = variants
            self.fallbackQueue = fallbackQueue
        }
    }

    private let database: any Database
    private let settings: Reloadable<Settings>
    private let now: @Sendable () -> Int64

    package init(
        database: any Database, settings: Settings,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.settings = Reloadable(settings)
        self.now = now
    }

    package func reload(_ settings: Settings) { self.settings.replace(with: settings) }

    /// Saves `definition` as a new template, version 1, a draft. A retry with the same
    /// `clientKey` returns the first result (`created` false).
    package func create(_ definition: TemplateDefinition, clientKey: String?) async throws -> (
        template: TemplateJSON, created: Bool
    ) {
        let settings = settings.value
        try check(definition, settings)
        let content = try JSONPayload.string(StoredContent(definition.content))
        let id = Identifiers.make("tpl")
        let now = now()
        let (record, created) = try await database.write { connection -> (TemplateRecord?, Bool) in
            let templates = TemplateRepository(connection)
            if let clientKey, let earlier = try templates.template(clientKey: clientKey) { return (earlier, false) }
            let inserted = try templates.insert(
                id: id, name: definition.name, program: definition.program, locale: definition.locale,
                clientKey: clientKey,
                version: TemplateVersionRecord(
                    number: 1, content: content, fallbackQueue: definition.fallbackQueue, createdAt: now))
            guard inserted else {
                throw UseCaseError(
                    .conflict, code: "template_exists",
                    message: "A template named \(definition.name) already exists in \(definition.locale); change it "
                        + "with PUT /v1/templates/{id}.", field: "name")
            }
            return (try templates.template(id: id), true)
        }
        return (try view(try found(record), settings), created)
    }

    package func template(id: String) async throws -> TemplateJSON {
        let record = try await database.read { try TemplateRepository($0).template(id: id) }
        return try view(try found(record), settings.value)
    }

    /// Templates of `program` (all when nil) in `state` (`draft`, `approved`, `archived`; all
    /// when nil), by id.
    package func templates(program: String?, state: String?, after: String?, limit: Int) async throws
        -> TemplatePageJSON
    {
        if let state, !["draft", "approved", "archived"].contains(state) {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "state must be draft, approved or archived.",
                field: "state")
        }
        let records = try await database.read {
            try TemplateRepository($0).templates(program: program, state: state, after: after, limit: limit)
        }
        let settings = settings.value
        return TemplatePageJSON(
            templates: try records.map { try view($0, settings) },
            nextAfter: records.count == limit ? records.last?.id : nil)
    }

    /// Adds a version with `changes` applied to the current one: a draft until approved; the last
    /// approved version keeps serving meanwhile.
    package func update(id: String, changes: Changes) async throws -> TemplateJSON {
        let settings = settings.value
        let current = try found(try await database.read { try TemplateRepository($0).template(id: id) })
        guard current.archivedAt == nil else { throw Self.archived }
        let stored = try Self.content(of: current.version)
        var definition = TemplateDefinition(
            name: current.name, program: current.program, locale: current.locale, content: stored,
            fallbackQueue: current.version.fallbackQueue)
        definition.content.body = changes.body ?? stored.body
        definition.content.variables = changes.variables ?? stored.variables
        definition.content.replies = changes.replies ?? stored.replies
        definition.content.variants = changes.variants ?? stored.variants
        if let fallbackQueue = changes.fallbackQueue { definition.fallbackQueue = fallbackQueue }
        try check(definition, settings)
        let content = try JSONPayload.string(StoredContent(definition.content))
        let fallbackQueue = definition.fallbackQueue
        let now = now()
        let record = try await database.write { connection -> TemplateRecord? in
            let templates = TemplateRepository(connection)
            guard let latest = try templates.template(id: id), latest.archivedAt == nil else { throw Self.archived }
            try templates.addVersion(
                templateID: id,
                TemplateVersionRecord(
                    number: latest.currentVersion + 1, content: content, fallbackQueue: fallbackQueue,
                    createdAt: now))
            return try templates.template(id: id)
        }
        return try view(try found(record), settings)
    }

    /// Approves the current version on behalf of `approver` (an admin key's id); approving the
    /// version that already serves changes nothing.
    package func approve(id: String, approver: String) async throws -> TemplateJSON {
        let now = now()
        let record = try await database.write { connection -> TemplateRecord? in
            let templates = TemplateRepository(connection)
            guard let template = try templates.template(id: id) else { return nil }
            guard template.archivedAt == nil else { throw Self.archived }
            if template.approvedVersion != template.currentVersion {
                try templates.approveCurrent(templateID: id, by: approver, now: now)
            }
            return try templates.template(id: id)
        }
        return try view(try found(record), settings.value)
    }

    /// Archives the template: nothing is sent from it again; its versions stay.
    package func archive(id: String) async throws -> TemplateJSON {
        let now = now()
        let record = try await database.write { connection -> TemplateRecord? in
            let templates = TemplateRepository(connection)
            try templates.archive(templateID: id, now: now)
            return try templates.template(id: id)
        }
        return try view(try found(record), settings.value)
    }

    /// The text the current version makes of `values` in `locale` (the template's when nil),
    /// measured as it would be sent.
    package func preview(id: String, values: [String: String], locale: String?) async throws -> TextPreviewJSON {
        let settings = settings.value
        let record = try found(try await database.read { try TemplateRepository($0).template(id: id) })
        let content = try Self.content(of: record.version)
        let text: String
        do {
            text = try content.render(values, locale: locale ?? record.locale, brand: settings.brand)
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: error.field)
        }
        return TextPreviewJSON(sent: settings.smartEncoding ? SMSSmartEncoding.apply(text) : text)
    }

    private func check(_ definition: TemplateDefinition, _ settings: Settings) throws(UseCaseError) {
        do throws(HandoffCoreError) {
            guard !definition.locale.isEmpty, definition.locale.count <= 35 else {
                throw HandoffCoreError(
                    code: "invalid_field", message: "locale is a language tag such as en or es-MX.", field: "locale")
            }
            if let queue = definition.fallbackQueue, !TemplateBody.isValidName(queue) {
                throw HandoffCoreError(
                    code: "unknown_queue", message: "fallback_queue names a queue (snake_case).",
                    field: "fallback_queue")
            }
            try definition.validate(programs: settings.programs, brand: settings.brand, vocabulary: settings.vocabulary)
        } catch {
            throw UseCaseError(.invalid, code: error.code, message: error.message, field: error.field)
        }
    }

    private func view(_ record: TemplateRecord, _ settings: Settings) throws -> TemplateJSON {
        let content = try Self.content(of: record.version)
        let kind = settings.programs.program(record.program)?.kind ?? .conversational
        let sample = try? content.validate(
            TemplateRules(brand: settings.brand, programKind: kind, maxSegments: .max, vocabulary: settings.vocabulary))
        let measured = sample ?? SMSSegments(body: content.body)
        return TemplateJSON(record, content: content, segments: measured)
    }

    private func found(_ record: TemplateRecord?) throws(UseCaseError) -> TemplateRecord {
        guard let record else {
            throw UseCaseError(.notFound, code: "not_found", message: "No such template.")
        }
        return record
    }

    private static let archived = UseCaseError(
        .conflict, code: "template_archived", message: "The template is archived; create a new one.")

    /// The content a stored version holds.
    static func content(of version: TemplateVersionRecord) throws -> TemplateContent {
        try JSONDecoder().decode(StoredContent.self, from: Data(version.content.utf8)).content
    }
}

/// A version's content as stored: the body, variables, replies and variants.
struct StoredContent: Codable {
    var body: String
    var variables: [TemplateVariable]
    var replies: [TemplateReply]
    var variants: [TemplateVariant]

    init(_ content: TemplateContent) {
        body = content.body
        variables = content.variables
        replies = content.replies
        variants = content.variants
    }

    var content: TemplateContent {
        TemplateContent(body: body, variables: variables, replies: replies, variants: variants)
    }
}
