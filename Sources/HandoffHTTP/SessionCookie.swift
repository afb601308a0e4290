import HTTPServer

/// The session cookie: reading it from requests and writing it on responses.
///
/// A Secure cookie is named `__Host-handoff_session`: browsers accept that name only from a
/// secure origin with `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite
/// it. Plain-http local use keeps `handoff_session`.
package struct SessionCookie: Sendable {
    static let baseName = "handoff_session"
    /// Secure + SameSite=None (cross-site widget) unless plain-http local use turned it off.
    let secure: Bool
    let lifetimeDays: Int
    /// Most cookies of our name looked up per request (each is a database read).
    static let maxCandidates = 4

    var name: String { secure ? "__Host-" + Self.baseName : Self.baseName }

    package init(secure: Bool, lifetimeDays: Int) {
        self.secure = secure
        self.lifetimeDays = lifetimeDays
    }

    /// The well-formed tokens of our cookie name in the request's Cookie headers, in order and
    /// without repeats; several arrive when another path or domain set one too, and the caller
    /// takes the first that opens a session.
    func tokens(in request: HTTPRequest) -> [String] {
        var tokens: [String] = []
        for header in request.headers.values(for: "Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingSpaces()
                guard trimmed.hasPrefix(name + "=") else { continue }
                let value = String(trimmed.dropFirst(name.count + 1))
                guard Self.isToken(value), !tokens.contains(value) else { continue }
                tokens.append(value)
                if tokens.count == Self.maxCandidates { return tokens }
            }
        }
        return tokens
    }

    /// 43 base64url characters: 256 random bits.
    private static func isToken(_ value: String) -> Bool {
        value.utf8.count == 43
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }

    /// The Set-Cookie value for a new token.
    func setCookie(_ token: String) -> String {
        let maxAge = lifetimeDays * 86_400
        let crossSite = secure ? "; SameSite=None; Secure" : "; SameSite=Lax"
        return "\(name)=\(token); Max-Age=\(maxAge); Path=/; HttpOnly\(crossSite)"
    }
}
