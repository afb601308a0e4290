import Crypto
import Foundation
import HTTPServer
import HandoffCore

/// Checks `Authorization: Bearer <key>` against the configured API keys in constant time.
///
/// Keys are kept only as SHA-256 digests; the presented key is hashed and compared with every
/// digest without early exit, so timing reveals neither which key nor how much of it matched.
/// Guessing is rate limited per client address: past `failuresPerMinute` wrong keys, every
/// attempt from that address gets 429 (right key or not) until the bucket refills.
struct APIKeyAuthenticator: Sendable {
    private let digests: Reloadable<[[UInt8]]>
    private let failures: RateLimiter

    init(keys: [String], failuresPerMinute: Int = 20) {
        digests = Reloadable(Self.digests(keys))
        failures = RateLimiter(perMinute: failuresPerMinute)
    }

    /// Takes a new key set (SIGHUP): rotated keys work at once, removed ones stop at once.
    func reload(keys: [String]) { digests.replace(with: Self.digests(keys)) }

    private static func digests(_ keys: [String]) -> [[UInt8]] { keys.map { Array(SHA256.hash(data: Data($0.utf8))) } }

    /// Throws 401 unless the request carries a configured key, 429 while its address is locked
    /// out; returns a short id of the key (hex of its digest's first bytes) for audit trails.
    @discardableResult
    func authenticate(_ request: HTTPRequest) throws(HTTPError) -> String {
        if failures.isExhausted(request.remoteAddress) { try failures.take(request.remoteAddress) }
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            throw Self.unauthorized("Send Authorization: Bearer <api key>.")
        }
        let presented = Array(SHA256.hash(data: Data(header.dropFirst(7).utf8)))
        var matched: UInt8 = 0
        for digest in digests.value { matched |= ConstantTime.equals(digest, presented) ? 1 : 0 }
        guard matched == 1 else {
            try failures.take(request.remoteAddress)
            throw Self.unauthorized("The API key is not valid.")
        }
        return presented.prefix(4).hexString
    }

    private static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(
            .unauthorized, code: "unauthorized", message: message, headers: [("WWW-Authenticate", "Bearer")])
    }
}
