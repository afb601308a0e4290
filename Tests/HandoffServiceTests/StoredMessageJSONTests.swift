import HandoffCore
import Storage
import Testing

@testable import HandoffDomain

/// `MessageJSON.storedJSON` is written by hand: it must be byte for byte what `JSONPayload`
/// (Foundation's encoder, keys sorted, slashes unescaped) writes for the same message.
@Suite struct StoredMessageJSONTests {
    static func message(
        body: String = "Hi, is my order 12 on its way?", author: Author = .visitor, segments: Int? = 1,
        media: String? = nil, agent: (id: String, name: String)? = nil, intent: MessageIntent? = nil
    ) -> MessageJSON {
        MessageJSON(
            MessageRecord(
                seq: 7, id: "msg_0193a1b2c3d4e5f60718293a4b5c6d7e", conversationID: "conv_0193a1b2c3d4e5f6",
                direction: author == .visitor ? .inbound : .outbound, channel: .sms, author: author, body: body,
                status: "received", segments: segments, media: media, agentID: agent?.id, agentName: agent?.name,
                intent: intent, createdAt: 1_765_000_000_123, updatedAt: 1_765_000_000_123))
    }

    static func expectSame(_ json: MessageJSON) throws {
        #expect(try json.storedJSON() == JSONPayload.string(json))
    }

    @Test func everyASCIICharacterInABodyIsEscapedAsFoundationDoes() throws {
        for byte in UInt8(0)...0x7F {
            let character = String(Unicode.Scalar(byte))
            try Self.expectSame(Self.message(body: "a\(character)b\(character)"))
        }
    }

    @Test func textBeyondASCIIIsWrittenAsIs() throws {
        for body in [
            "é ñ ü", "😀 👍🏽 🇫🇷", "\u{2028}\u{2029}", "\u{FEFF}bom", "\u{85}\u{A0}", "日本語のテキスト", "\r\n", "",
            "\"quoted\" \\ back/slash </script>", "%20+&=?",
        ] {
            try Self.expectSame(Self.message(body: body))
        }
    }

    @Test func everyOptionalFieldPresentOrAbsent() throws {
        let intents: [MessageIntent?] = [
            nil, MessageIntent(name: "order_status", source: .rules), MessageIntent(name: "opt_out", source: .keyword),
            MessageIntent(name: "yes", source: .templateAnswer),
            MessageIntent(name: "refund", source: .classifier, confidence: 0.87),
            MessageIntent(name: "refund", source: .classifier, confidence: 1),
        ]
        for author in Author.allCases {
            for intent in intents {
                for segments in [nil, 0, 3] as [Int?] {
                    for media in [nil, "[]", #"["https://api.twilio.com/a/b.jpg","https://x.test/\"q\""]"#] {
                        for agent in [nil, (id: "ag_1", name: "Ana \"A\" Pérez")] as [(id: String, name: String)?] {
                            try Self.expectSame(
                                Self.message(
                                    author: author, segments: segments, media: media, agent: agent, intent: intent))
                        }
                    }
                }
            }
        }
    }

    @Test func aVisitorMessageWithoutAnIntentSaysNullAndOthersLeaveItOut() throws {
        #expect(try Self.message(author: .visitor).storedJSON().contains(#""intent":null"#))
        #expect(try !Self.message(author: .agent).storedJSON().contains(#""intent""#))
    }
}
