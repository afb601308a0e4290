import Crypto
import Foundation
import HandoffCore

/// Twilio's `X-Twilio-Signature` (PROTOCOLS.md): base64 HMAC-SHA1, keyed with the auth token,
/// of the configured public URL followed by every form parameter's name and value, names in
/// byte order and a repeated name's values sorted.
public enum TwilioSignature {
    /// The signature Twilio sends for a form POST to `url` with `parameters`.
    public static func compute(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        sign(Array(url.utf8) + signedParameters(parameters), key: SymmetricKey(data: Data(authToken.utf8)))
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
        return urlVariants(url).contains { candidate in
            ConstantTime.equals(Array(sign(Array(candidate.utf8) + parameters, key: key).utf8), expected)
        }
    }

    /// Every parameter's name and value, names in byte order of their UTF-8 forms (what Twilio's
    /// validator sorts by) and a repeated name's values sorted the same way.
    private static func signedParameters(_ parameters: [(name: String, value: String)]) -> [UInt8] {
        let sorted = parameters.sorted { lhs, rhs in
            lhs.name == rhs.name
                ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
        }
        var data: [UInt8] = []
        for parameter in sorted {
            data.append(contentsOf: parameter.name.utf8)
            data.append(contentsOf: parameter.value.utf8)
        }
        return data
    }

    /// Base64 HMAC-SHA1 of `data`.
    private static func sign(_ data: [UInt8], key: SymmetricKey) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key)).base64EncodedString()
    }

    /// The URL as given, plus the same URL with the scheme's default port toggled.
    static func urlVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nil
        guard let defaultPort else { return [url] }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        let prefix = url[..<schemeEnd.upperBound]
        if authority.hasSuffix(defaultPort) {
            return [url, String(prefix + authority.dropLast(defaultPort.count) + tail)]
        }
        if authority.contains(":") && !authority.hasSuffix("]") { return [url] }
        return [url, String(prefix + authority + defaultPort + tail)]
    }
}
