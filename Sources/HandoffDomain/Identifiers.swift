/// Opaque identifiers and secret tokens from the system CSPRNG.
package enum Identifiers {
    /// `prefix_` followed by 32 lowercase hex digits, e.g. `msg_019a4f…`: the creation time in
    /// Unix milliseconds (12 digits) then 80 random bits. Ids made later sort later, so new rows
    /// land at the end of the id indexes instead of on a random page of each.
    package static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let time = UInt64(clamping: ChatService.currentMilliseconds()) & 0xFFFF_FFFF_FFFF
        let high = time << 16 | (generator.next() as UInt64) >> 48
        let low = generator.next() as UInt64
        var text = Array(prefix.utf8)
        text.reserveCapacity(text.count + 33)
        text.append(UInt8(ascii: "_"))
        for word in [high, low] {
            for shift in stride(from: 60, through: 0, by: -4) {
                text.append(hexDigits[Int(word >> UInt64(shift) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// 32 random bytes, base64url without padding (43 characters): a session cookie token.
    package static func sessionToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let b0 = chunk[chunk.startIndex]
            let b1 = chunk.count > 1 ? chunk[chunk.startIndex + 1] : 0
            let b2 = chunk.count > 2 ? chunk[chunk.startIndex + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if chunk.count > 1 { output.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if chunk.count > 2 { output.append(alphabet[Int(b2 & 0x3F)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
