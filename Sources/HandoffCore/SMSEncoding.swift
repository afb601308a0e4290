/// How an SMS body travels: GSM 03.38 7-bit when every character is in its tables, else UCS-2.
public enum SMSEncoding: String, Sendable, Equatable {
    case gsm7
    case ucs2

    /// The GSM 03.38 basic character set (the escape code 0x1B excluded): one septet each.
    static let basic: Set<Unicode.Scalar> = Set(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
            + "abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    /// The extension table: an escape plus the character, two septets each.
    static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// Septets a GSM-7 character costs (1 or 2), or nil when it has no GSM-7 form.
    static func septets(_ character: Character) -> Int? {
        var total = 0
        for scalar in character.unicodeScalars {
            if basic.contains(scalar) {
                total += 1
            } else if extended.contains(scalar) {
                total += 2
            } else {
                return nil
            }
        }
        return total
    }

    /// The encoding `body` needs.
    public static func of(_ body: String) -> SMSEncoding {
        body.allSatisfy { septets($0) != nil } ? .gsm7 : .ucs2
    }
}
