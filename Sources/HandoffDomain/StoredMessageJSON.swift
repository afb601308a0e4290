extension MessageJSON {
    /// The message as `JSONPayload.string` writes it (compact, keys sorted, slashes unescaped),
    /// written by hand: every stored message encodes it inside the write transaction for its
    /// `message` event, where Foundation's sorted-keys encoder cost more than the rest of the event.
    /// An intent with a confidence (a number, whose formatting stays Foundation's) goes through
    /// `JSONPayload`. `StoredMessageJSONTests` holds the two byte for byte equal.
    func storedJSON() throws -> String {
        if case .some(.some(let intent)) = intent, intent.confidence != nil { return try JSONPayload.string(self) }
        var json = StoredJSONText()
        json.append("{")
        if let agent {
            json.append(#""agent":{"id":"#)
            json.appendString(agent.id)
            json.append(#","name":"#)
            json.appendString(agent.name)
            json.append("},")
        }
        json.append(#""author":"#)
        json.appendString(author.rawValue)
        json.append(#","body":"#)
        json.appendString(body)
        json.append(#","channel":"#)
        json.appendString(channel.rawValue)
        json.append(#","conversation_id":"#)
        json.appendString(conversationID)
        json.append(#","created_at":"#)
        json.appendString(createdAt)
        json.append(#","direction":"#)
        json.appendString(direction.rawValue)
        json.append(#","id":"#)
        json.appendString(id)
        switch intent {
        case .none:
            break
        case .some(.none):
            json.append(#","intent":null"#)
        case .some(.some(let intent)):
            json.append(#","intent":{"name":"#)
            json.appendString(intent.name)
            json.append(#","source":"#)
            json.appendString(intent.source)
            json.append("}")
        }
        if let media {
            json.append(#","media":["#)
            for (index, url) in media.enumerated() {
                if index > 0 { json.append(",") }
                json.appendString(url)
            }
            json.append("]")
        }
        if let segments {
            json.append(#","segments":"#)
            json.append(String(segments))
        }
        json.append(#","status":"#)
        json.appendString(status)
        json.append("}")
        return json.text
    }
}

/// JSON text built byte by byte, with strings escaped as Foundation's `JSONEncoder` escapes them
/// (with `.withoutEscapingSlashes`): `"` and `\`, the short forms `\b \t \n \f \r`, other control
/// characters as lowercase `\u00xx`, everything else as is.
private struct StoredJSONText {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// JSON syntax or a number, as is.
    mutating func append(_ raw: String) { bytes.append(contentsOf: raw.utf8) }

    /// A JSON string: quoted and escaped.
    mutating func appendString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0x08: appendEscape(UInt8(ascii: "b"))
            case 0x09: appendEscape(UInt8(ascii: "t"))
            case 0x0A: appendEscape(UInt8(ascii: "n"))
            case 0x0C: appendEscape(UInt8(ascii: "f"))
            case 0x0D: appendEscape(UInt8(ascii: "r"))
            case 0x00..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ letter: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(letter)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
