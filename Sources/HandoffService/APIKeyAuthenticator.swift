import Crypto
import Foundation
import HTTPServer
import HandoffCore

/// Checks `Authorization: Bearer <key>` against the configured API keys in constant time.
///
/// Keys are kept only as SHA-256 digests; the presented key is hashed and compared with every
/// digest without early exit, so timing reveals neither which key nor how much of it matched.
struct APIKeyAuthenticator: Sendable {
    private let digests: [[UInt8]]

    init(keys: [String]) {
        digests = keys.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    /// Throws 401 unless the request carries a configured key.
    func authenticate(_ request: HTTPRequest) throws(HTTPError) {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            throw Self.unauthorized("Send Authorization: Bearer <api key>.")
        }
        let presented = Array(SHA256.hash(data: Data(header.dropFirst(7).utf8)))
        var matched: UInt8 = 0
        for digest in digests { matched |= ConstantTime.equals(digest, presented) ? 1 : 0 }
        guard matched == 1 else { throw Self.unauthorized("The API key is not valid.") }
    }

    private static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(
            .unauthorized, code: "unauthorized", message: message, headers: [("WWW-Authenticate", "Bearer")])
    }
}
