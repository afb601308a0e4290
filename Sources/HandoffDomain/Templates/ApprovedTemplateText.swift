import DatabaseDriver
import HandoffCore
import Storage

/// What a named template says to one contact, as the bot and the service send it unprompted
/// (an intent's `{template: NAME}`, a queue's `wait_notice_template`): the approved version of
/// the live template of that name in the contact's locale (its best match, else English, else
/// any), the contact's A/B variant, values in the contact's formats.
enum ApprovedTemplateText {
    /// The text for `contact` in `conversation`, filling `{{brand}}` and those of `offered` the
    /// template declares; nil when no live template of that name has an approved version that
    /// renders with them (a required variable left without a value, say).
    static func render(
        _ name: String, offered: [String: String] = [:], brand: String, conversation: ConversationRecord,
        contact: ContactRecord?, connection: any Connection
    ) throws -> String? {
        let templates = TemplateRepository(connection)
        // A texter's locale may be known only from the consent they gave.
        let contactLocale =
            try contact?.locale ?? contact?.phoneE164.flatMap { try HandoffRepository(connection).locale(phone: $0) }
        let approved = try templates.live(name: name).filter { $0.approvedVersion != nil }
        let locales = approved.map(\.locale)
        let locale = TemplateLocale.best(
            for: contactLocale, among: locales, fallback: locales.contains("en") ? "en" : locales.first ?? "")
        guard let chosen = approved.first(where: { $0.locale == locale }),
            let version = try templates.template(id: chosen.id, version: chosen.approvedVersion),
            let content = try? TemplateService.content(of: version.version)
        else { return nil }
        let declared = Set(content.variables.map(\.name))
        return try? content.render(
            offered.filter { declared.contains($0.key) }, locale: contactLocale ?? chosen.locale, brand: brand,
            variant: TemplateVariantChooser.variant(
                of: content.variants, templateID: chosen.id, contactKey: conversation.contactID))
    }
}
