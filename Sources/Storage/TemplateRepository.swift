public import DatabaseDriver

/// A template with one of its versions: what the API shows and what a send renders.
public struct TemplateRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var program: String
    public var locale: String
    /// The newest version, a draft unless it is `approvedVersion`.
    public var currentVersion: Int
    /// The version that serves; nil until one is approved.
    public var approvedVersion: Int?
    public var archivedAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The version this record carries (`currentVersion` unless another was asked for).
    public var version: TemplateVersionRecord

    public init(
        id: String, name: String, program: String, locale: String, currentVersion: Int, approvedVersion: Int?,
        archivedAt: Int64?, createdAt: Int64, updatedAt: Int64, version: TemplateVersionRecord
    ) {
        self.id = id
        self.name = name
        self.program = program
        self.locale = locale
        self.currentVersion = currentVersion
        self.approvedVersion = approvedVersion
        self.archivedAt = archivedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// One version of a template: its content (JSON, the service's to read) and its approval.
public struct TemplateVersionRecord: Sendable, Equatable {
    public var number: Int
    /// JSON of the body, variables, replies and variants.
    public var content: String
    public var fallbackQueue: String?
    public var createdAt: Int64
    public var approvedBy: String?
    public var approvedAt: Int64?

    public init(
        number: Int, content: String, fallbackQueue: String?, createdAt: Int64, approvedBy: String? = nil,
        approvedAt: Int64? = nil
    ) {
        self.number = number
        self.content = content
        self.fallbackQueue = fallbackQueue
        self.createdAt = createdAt
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }
}

/// The SQL of templates and their versions.
public struct TemplateRepository {
    private let connection: any Connection

    public init(_ connection: any Connection) { self.connection = connection }

    /// Stores a new template with its first version. Returns false, writing nothing, when a live
    /// template has the same name and locale or `clientKey` was used before.
    public func insert(
        id: String, name: String, program: String, locale: String, clientKey: String?, version: TemplateVersionRecord
    ) throws(StorageError) -> Bool {
        let inserted = try connection.execute(
            """
            INSERT INTO templates (id, name, program, locale, current_version, approved_version, client_key,
                archived_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?) ON CONFLICT DO NOTHING
            """,
            [
                .text(id), .text(name), .text(program), .text(locale), .int(version.number), .optionalText(clientKey),
                .integer(version.createdAt), .integer(version.createdAt),
            ])
        guard inserted == 1 else { return false }
        try insertVersion(templateID: id, version)
        return true
    }

    /// The template created with `clientKey`, if any.
    public func template(clientKey: String) throws(StorageError) -> TemplateRecord? {
        try connection.queryOne("SELECT id FROM templates WHERE client_key = ?", [.text(clientKey)])
            .map { row throws(StorageError) in try row.get("id", as: String.self) }
            .flatMap { id throws(StorageError) in try template(id: id) }
    }

    /// The template `id` with its current version, or with `version` when given.
    public func template(id: String, version: Int? = nil) throws(StorageError) -> TemplateRecord? {
        try connection.queryOne(
            """
            SELECT t.*, v.version, v.content, v.fallback_queue, v.created_at AS version_created_at, v.approved_by,
                v.approved_at
            FROM templates t JOIN template_versions v ON v.template_id = t.id
            WHERE t.id = ? AND v.version = coalesce(CAST(? AS INTEGER), t.current_version)
            """, [.text(id), .optionalInt(version)]
        ).map(Self.template)
    }

    /// The live (not archived) template called `name` in `locale`, if any.
    public func live(name: String, locale: String) throws(StorageError) -> TemplateRecord? {
        try connection.queryOne(
            "SELECT id FROM templates WHERE name = ? AND locale = ? AND archived_at IS NULL",
            [.text(name), .text(locale)]
        ).map { row throws(StorageError) in try row.get("id", as: String.self) }
            .flatMap { id throws(StorageError) in try template(id: id) }
    }

    /// The live (not archived) templates called `name`, one per locale.
    public func live(name: String) throws(StorageError) -> [TemplateRecord] {
        var found: [TemplateRecord] = []
        for row in try connection.query(
            "SELECT id FROM templates WHERE name = ? AND archived_at IS NULL ORDER BY locale", [.text(name)])
        {
            if let template = try template(id: row.get("id", as: String.self)) { found.append(template) }
        }
        return found
    }

    /// Templates by id after `after`, with their current versions, of `program` if given;
    /// `state` is `draft`, `approved` or `archived` (nil: all).
    public func templates(program: String?, state: String?, after: String?, limit: Int) throws(StorageError)
        -> [TemplateRecord]
    {
        try connection.query(
            """
            SELECT t.*, v.version, v.content, v.fallback_queue, v.created_at AS version_created_at, v.approved_by,
                v.approved_at
            FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version
            WHERE t.id > ? AND (CAST(? AS TEXT) IS NULL OR t.program = ?)
              AND (CAST(? AS TEXT) IS NULL
                   OR (? = 'archived' AND t.archived_at IS NOT NULL)
                   OR (? = 'approved' AND t.archived_at IS NULL AND t.approved_version = t.current_version)
                   OR (? = 'draft' AND t.archived_at IS NULL
                       AND (t.approved_version IS NULL OR t.approved_version <> t.current_version)))
            ORDER BY t.id LIMIT ?
            """,
            [
                .text(after ?? ""), .optionalText(program), .optionalText(program), .optionalText(state),
                .optionalText(state), .optionalText(state), .optionalText(state), .int(limit),
            ]
        ).map(Self.template)
    }

    /// Adds `version` as the template's newest (a draft).
    public func addVersion(templateID: String, _ version: TemplateVersionRecord) throws(StorageError) {
        try insertVersion(templateID: templateID, version)
        try connection.execute(
            "UPDATE templates SET current_version = ?, updated_at = ? WHERE id = ?",
            [.int(version.number), .integer(version.createdAt), .text(templateID)])
    }

    /// Approves the current version: it serves from now on.
    public func approveCurrent(templateID: String, by approver: String, now: Int64) throws(StorageError) {
        try connection.execute(
            """
            UPDATE template_versions SET approved_by = ?, approved_at = ?
            WHERE template_id = ? AND version = (SELECT current_version FROM templates WHERE id = ?)
            """, [.text(approver), .integer(now), .text(templateID), .text(templateID)])
        try connection.execute(
            "UPDATE templates SET approved_version = current_version, updated_at = ? WHERE id = ?",
            [.integer(now), .text(templateID)])
    }

    /// Archives the template: nothing is sent from it any more, and its name is free again.
    public func archive(templateID: String, now: Int64) throws(StorageError) {
        try connection.execute(
            "UPDATE templates SET archived_at = ?, updated_at = ? WHERE id = ? AND archived_at IS NULL",
            [.integer(now), .integer(now), .text(templateID)])
    }

    private func insertVersion(templateID: String, _ version: TemplateVersionRecord) throws(StorageError) {
        try connection.execute(
            """
            INSERT INTO template_versions (template_id, version, content, fallback_queue, created_at, approved_by,
                approved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(templateID), .int(version.number), .text(version.content), .optionalText(version.fallbackQueue),
                .integer(version.createdAt), .optionalText(version.approvedBy), .optionalInteger(version.approvedAt),
            ])
    }

    private static func template(_ row: Row) throws(StorageError) -> TemplateRecord {
        try TemplateRecord(
            id: row.get("id"), name: row.get("name"), program: row.get("program"), locale: row.get("locale"),
            currentVersion: row.get("current_version"), approvedVersion: row.get("approved_version"),
            archivedAt: row.get("archived_at"), createdAt: row.get("created_at"), updatedAt: row.get("updated_at"),
            version: TemplateVersionRecord(
                number: row.get("version"), content: row.get("content"), fallbackQueue: row.get("fallback_queue"),
                createdAt: row.get("version_created_at"), approvedBy: row.get("approved_by"),
                approvedAt: row.get("approved_at")))
    }
}
