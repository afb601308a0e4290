import Crypto
import Foundation
import HTTPServer
import HandoffCore
package import HandoffDomain

/// Checks `Authorization: Bearer <key>` against the configured API keys in constant time.
///
/// Keys are kept only as SHA-256 digests; the presented key is hashed and compared with every
/// digest without early exit, so timing reveals neither which key nor how much of it matched.
/// Guessing is limited per client address (`KeyGuessingLimit`, counted in the database, so across
/// every node): past its wrong keys per minute, a wrong or missing key from that address gets 429
/// until the minute is over. A right key always works: keys are at least 16 characters (the
/// configuration refuses shorter ones), so none is found by guessing, and a guesser sharing an
/// address (a NAT, an office) must not lock the integration out.
///
/// With `agents`, a key that is none of the configured ones is looked up among the named agents'
/// (in the database, on every request: a deleted agent's key stops working at once on every node);
/// a key that is neither counts as a wrong one.
package struct APIKeyAuthenticator: Sendable {
    private let digests: Reloadable<[[UInt8]]>
    private let guessing: KeyGuessingLimit
    private let agents: AgentDirectory?

    package init(keys: [String], guessing: KeyGuessingLimit, agents: AgentDirectory? = nil) {
        digests = Reloadable(Self.digests(keys))
        self.guessing = guessing
        self.agents = agents
    }

    /// Takes a new key set (SIGHUP): rotated keys work at once, removed ones stop at once.
    package func reload(keys: [String]) { digests.replace(with: Self.digests(keys)) }

    private static func digests(_ keys: [String]) -> [[UInt8]] { keys.map { Array(SHA256.hash(data: Data($0.utf8))) } }

    /// Throws 401 unless the request carries a configured key or a named agent's (429 instead
    /// while its address is locked out); returns the caller: a configured key by a short id (hex
    /// of its digest's first bytes) for audit trails, or the agent.
    @discardableResult
    func authenticate(_ request: HTTPRequest) async throws -> Caller {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            try await refuse(request, "Send Authorization: Bearer <api key>.", counted: false)
        }
        let presented = Array(SHA256.hash(data: Data(header.dropFirst(7).utf8)))
        if isConfigured(presented) { return .apiKey(id: presented.prefix(4).hexString) }
        if let agent = try await agents?.agent(keyHash: presented) { return .agent(agent) }
        try await refuse(request, "The API key is not valid.", counted: true)
    }

    /// Whether the request carries one of the configured keys (not an agent's); a wrong or missing
    /// one is not counted against its address (for routes that try a stronger key before the
    /// usual one).
    func accepts(_ request: HTTPRequest) -> Bool {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return false }
        return isConfigured(Array(SHA256.hash(data: Data(header.dropFirst(7).utf8))))
    }

    /// Whether `presented` is the digest of a configured key, compared with every digest.
    private func isConfigured(_ presented: [UInt8]) -> Bool {
        var matched: UInt8 = 0
        for digest in digests.value { matched |= ConstantTime.equals(digest, presented) ? 1 : 0 }
        return matched == 1
    }

    /// 401, or 429 once the client address has no attempts left; a wrong key (`counted`) takes
    /// one, a missing one does not.
    private func refuse(_ request: HTTPRequest, _ message: String, counted: Bool) async throws -> Never {
        let address = request.clientAddress
        let wait =
            counted
            ? try await guessing.countWrongKey(from: address) : try await guessing.lockout(of: address)
        if let wait {
            throw HTTPError(
                .tooManyRequests, code: "rate_limited",
                message: "Too many wrong keys from this address; wait a moment.",
                headers: [("Retry-After", String(wait))])
        }
        throw Self.unauthorized(message)
    }

    private static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(
            .unauthorized, code: "unauthorized", message: message, headers: [("WWW-Authenticate", "Bearer")])
    }
}
