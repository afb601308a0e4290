/// `application/x-www-form-urlencoded` bodies: ordered name/value pairs, repeats kept.
public struct URLEncodedForm: Sendable, Equatable {
    public var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// Decodes a body strictly: a malformed `%` escape or bytes that are not UTF-8 are an error,
    /// never silently replaced (a signature is computed over what was meant).
    public init(decoding body: [UInt8]) throws(URLEncodedFormError) {
        fields = []
        // The separators are ASCII, so every pair is UTF-8 exactly when the whole body is. Empty
        // pairs (`a=1&&b=2`) are skipped.
        var start = body.startIndex
        while start < body.endIndex {
            let end = body[start...].firstIndex(of: UInt8(ascii: "&")) ?? body.endIndex
            defer { start = end + 1 }
            if end == start { continue }
            let pair = body[start..<end]
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let value = equals == pair.endIndex ? pair[equals...] : pair[(equals + 1)...]
            guard let name = PercentEncoding.decode(bytes: pair[..<equals], plusIsSpace: true) else {
                throw Self.malformed(pair[..<equals])
            }
            guard let value = PercentEncoding.decode(bytes: value, plusIsSpace: true) else {
                throw Self.malformed(value)
            }
            fields.append((name, value))
        }
    }

    /// Why `part` did not decode: its raw bytes are not UTF-8, or an escape in it is malformed
    /// (or decodes to bytes that are not UTF-8).
    private static func malformed(_ part: ArraySlice<UInt8>) -> URLEncodedFormError {
        URLEncodedFormError(
            message: PercentEncoding.validUTF8(part) == nil
                ? "The form body is not UTF-8." : "The form body has a malformed escape.")
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// The body bytes: names and values percent-encoded (space as `+`), joined with `&`.
    public var encoded: [UInt8] {
        Array(fields.map { Self.escape($0.name) + "=" + Self.escape($0.value) }.joined(separator: "&").utf8)
    }

    /// Percent-encodes everything but unreserved characters; space becomes `+`.
    static func escape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }

    public static func == (lhs: URLEncodedForm, rhs: URLEncodedForm) -> Bool {
        lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }
}

/// A form body that could not be decoded.
public struct URLEncodedFormError: Error, Sendable, Equatable {
    public var message: String
}
