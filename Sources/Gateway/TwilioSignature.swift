import Crypto
import Foundation
import HandoffCore

/// Twilio's `X-Twilio-Signature` (PROTOCOLS.md): base64 HMAC-SHA1, keyed with the auth token,
/// of the configured public URL followed by every form parameter's name and value, names in
/// byte order and a repeated name's values sorted.
public enum TwilioSignature {
    /// The signature Twilio sends for a form POST to `url` with `parameters`.
    public static func compute(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        sign(url, signedParameters(parameters), key: SymmetricKey(data: Data(authToken.utf8)))
    }

    /// Whether `signature` is valid for the request, compared in constant time. Like Twilio's
    /// own validator, the URL is tried as configured and with its default port added or removed.
    public static func isValid(
        _ signature: String?, url: String, parameters: [(name: String, value: String)], authToken: String
    ) -> Bool {
        guard let signature, !signature.isEmpty else { return false }
        let expected = Array(signature.utf8)
        let parameters = signedParameters(parameters)
        let key = SymmetricKey(data: Data(authToken.utf8))
        let matches = { (candidate: String) in
            ConstantTime.equals(Array(sign(candidate, parameters, key: key).utf8), expected)
        }
        // The URL as configured nearly always matches: its other form is made only when it does not.
        return matches(url) || defaultPortToggled(url).map(matches) == true
    }

    /// Every parameter's name and value, names in byte order of their UTF-8 forms (what Twilio's
    /// validator sorts by) and a repeated name's values sorted the same way.
    private static func signedParameters(_ parameters: [(name: String, value: String)]) -> [UInt8] {
        let sorted = parameters.sorted { lhs, rhs in
            let byName = compareUTF8(lhs.name, rhs.name)
            return byName == 0 ? compareUTF8(lhs.value, rhs.value) < 0 : byName < 0
        }
        var data: [UInt8] = []
        data.reserveCapacity(sorted.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        for parameter in sorted {
            data.append(contentsOf: parameter.name.utf8)
            data.append(contentsOf: parameter.value.utf8)
        }
        return data
    }

    /// Negative, zero or positive as `lhs`'s UTF-8 bytes sort before, with or after `rhs`'s (a
    /// `memcmp` of the strings' own storage: the generic `lexicographicallyPrecedes` over their
    /// UTF-8 views took a tenth of a webhook's signature check).
    private static func compareUTF8(_ lhs: String, _ rhs: String) -> Int {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                let common = min(left.count, right.count)
                let order = common == 0 ? 0 : Int(memcmp(left.baseAddress!, right.baseAddress!, common))
                return order != 0 ? order : left.count - right.count
            }
        }
    }

    /// Base64 HMAC-SHA1 of `url` followed by the signed `parameters`.
    private static func sign(_ url: String, _ parameters: [UInt8], key: SymmetricKey) -> String {
        var hmac = HMAC<Insecure.SHA1>(key: key)
        var url = url
        url.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        hmac.update(data: parameters)
        return Data(hmac.finalize()).base64EncodedString()
    }

    /// The same URL with the scheme's default port added or removed; nil when there is none to
    /// toggle (another port, or a scheme without a default).
    static func defaultPortToggled(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nil
        guard let defaultPort else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        let prefix = url[..<schemeEnd.upperBound]
        if authority.hasSuffix(defaultPort) { return String(prefix + authority.dropLast(defaultPort.count) + tail) }
        if authority.contains(":") && !authority.hasSuffix("]") { return nil }
        return String(prefix + authority + defaultPort + tail)
    }
}
