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
    /// validator sorts by) and a repeated name's values sorted the same way. The pairs' bytes go
    /// into one buffer first and are sorted as ranges of it with `memcmp`: a generic comparison of
    /// the strings' UTF-8 views was most of the signature check's time.
    private static func signedParameters(_ parameters: [(name: String, value: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        var pairs: [(name: Range<Int>, value: Range<Int>)] = []
        pairs.reserveCapacity(parameters.count)
        for parameter in parameters {
            let nameStart = bytes.count
            bytes.append(contentsOf: parameter.name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: parameter.value.utf8)
            pairs.append((nameStart..<valueStart, valueStart..<bytes.count))
        }
        return bytes.withUnsafeBufferPointer { buffer in
            /// Negative, zero or positive as `lhs`'s bytes sort before, with or after `rhs`'s.
            func compare(_ lhs: Range<Int>, _ rhs: Range<Int>) -> Int {
                let common = min(lhs.count, rhs.count)
                let order =
                    common == 0
                    ? 0
                    : Int(memcmp(buffer.baseAddress! + lhs.lowerBound, buffer.baseAddress! + rhs.lowerBound, common))
                return order != 0 ? order : lhs.count - rhs.count
            }
            pairs.sort { lhs, rhs in
                let byName = compare(lhs.name, rhs.name)
                return byName == 0 ? compare(lhs.value, rhs.value) < 0 : byName < 0
            }
            var signed: [UInt8] = []
            signed.reserveCapacity(buffer.count)
            // A pair's value follows its name in the buffer: one copy each.
            for pair in pairs { signed.append(contentsOf: buffer[pair.name.lowerBound..<pair.value.upperBound]) }
            return signed
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
