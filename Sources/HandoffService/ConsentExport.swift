public import Foundation
import HandoffCore
import Storage

/// The consent ledger of one number for `handoff consents export`, as the API returns it.
public enum ConsentExport {
    /// `{"phone": ..., "consents": [...]}`, pretty-printed.
    public static func json(_ configuration: Configuration, phone text: String) throws -> Data {
        let phone = try PhoneNumber(parsing: text, defaultRegion: configuration.defaultRegion).e164
        let database = try Database(path: configuration.databasePath, readers: 1)
        let consents = try database.withWriterSync { try HandoffRepository($0).consents(phone: phone) }
        struct Export: Encodable {
            var phone: String
            var consents: [ConsentJSON]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Export(phone: phone, consents: consents.map(ConsentJSON.init)))
    }
}
