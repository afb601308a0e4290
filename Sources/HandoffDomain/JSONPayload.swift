package import Foundation

/// JSON for what is stored and sent, not HTTP: event payloads, outbox payloads, business
/// webhooks, message media. Compact, keys sorted, slashes unescaped; the encoder is configured
/// once because it runs inside the write transaction of every message.
package enum JSONPayload {
    package static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder.encode(value) }

    /// The JSON as a string, as event and outbox rows keep it.
    package static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}
