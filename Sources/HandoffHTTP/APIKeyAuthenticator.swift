import Crypto
import Foundation
import HTTPServer
import HandoffCore
import HandoffDomain

/// Checks `Authorization: Bearer <key>` against the configured API keys in constant time.
///
/// Keys are kept only as SHA-256 digests; the presented key is hashed and compared with every
/// digest without early exit, so timing reveals neither which key nor how much of it matched.
/// Guessing is rate limited per client address: past `failuresPerMinute` wrong keys, a wrong or
/// missing key from that address gets 429 until the bucket refills. A right key always works:
/// keys are at least 16 characters (the configuration refuses shorter ones), so none is found by
/// guessing, and a guesser sharing an address (a NAT, an office) must not lock the integration out.
package struct APIKeyAuthenticator: Sendable {
    private let digests: Reloadable<[[UInt8]]>
    private let failures: RateLimiter

    package init(keys: [String], failuresPerMinute: Int = 20) {
        digests = Reloadable(Self.digests(keys))
        failures = RateLimiter(perMinute: failuresPerMinute)
    }

    /// Takes a new key set (SIGHUP): rotated keys work at once, removed ones stop at once.
    package func reload(keys: [String]) { digests.replace(with: Self.digests(keys)) }

    private static func digests(_ keys: [String]) -> [[UInt8]] { keys.map { Array(SHA256.hash(data: Data($0.utf8))) } }

    /// Throws 401 unless the request carries a configured key (429 instead while its address is
    /// locked out); returns a short id of the key (hex of its digest's first bytes) for audit trails.
    @discardableResult
    func authenticate(_ request: HTTPRequest) throws(HTTPError) -> String {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            try refuse(request, "Send Authorization: Bearer <api key>.", counted: false)
        }
        guard let presented = matchingDigest(header) else {
            try refuse(request, "The API key is not valid.", counted: true)
        }
        return presented.prefix(4).hexString
    }

    /// Whether the request carries one of these keys; a wrong or missing one is not counted
    /// against its address (for routes that try a stronger key before the usual one).
    func accepts(_ request: HTTPRequest) -> Bool {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return false }
        return matchingDigest(header) != nil
    }

    /// The digest of the header's key when it is one of ours, compared with every digest.
    private func matchingDigest(_ header: String) -> [UInt8]? {
        let presented = Array(SHA256.hash(data: Data(header.dropFirst(7).utf8)))
        var matched: UInt8 = 0
        for digest in digests.value { matched |= ConstantTime.equals(digest, presented) ? 1 : 0 }
        return matched == 1 ? presented : nil
    }

    /// 401, or 429 once the client address has no attempts left; a wrong key (`counted`) takes
    /// one, a missing one does not.
    private func refuse(_ request: HTTPRequest, _ message: String, counted: Bool) throws(HTTPError) -> Never {
        let address = request.clientAddress
        if counted || failures.isExhausted(address) { try failures.take(address) }
        throw Self.unauthorized(message)
    }

    private static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(
            .unauthorized, code: "unauthorized", message: message, headers: [("WWW-Authenticate", "Bearer")])
    }
}
