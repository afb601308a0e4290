public import Foundation
import HandoffCore
import Storage

/// `handoff contacts export|erase --phone N`: data subject requests on the configured database.
public enum PersonalData {
    /// Everything held about the number, as pretty JSON grouped by table.
    public static func export(_ configuration: Configuration, phone text: String) throws -> Data {
        let phone = try PhoneNumber(parsing: text, defaultRegion: configuration.defaultRegion).e164
        let database = try Database(path: configuration.databasePath, readers: 1)
        let tables = try database.withWriterSync { try PersonalDataRepository($0).export(phone: phone) }
        var object: [String: Any] = ["phone": phone]
        for (table, rows) in tables { object[table] = rows.map { $0.mapValues(Self.json) } }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Erases the number's personal data in one transaction; keeps the consent ledger and a hashed
    /// suppression. Returns the rows removed.
    public static func erase(_ configuration: Configuration, phone text: String) throws -> Int {
        let phone = try PhoneNumber(parsing: text, defaultRegion: configuration.defaultRegion).e164
        let database = try Database(path: configuration.databasePath, readers: 1)
        let now = ChatService.currentMilliseconds()
        return try database.withWriterSync { connection in
            try connection.transaction(.immediate) {
                try PersonalDataRepository(connection).erase(phone: phone, now: now)
            }
        }
    }

    private static func json(_ value: DatabaseValue) -> Any {
        switch value {
        case .null: NSNull()
        case .integer(let integer): integer
        case .real(let real): real
        case .text(let text): text
        case .blob(let bytes): Data(bytes).base64EncodedString()
        }
    }
}
