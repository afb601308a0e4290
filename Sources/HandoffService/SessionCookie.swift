import HTTPServer

/// The `handoff_session` cookie: reading it from requests and writing it on responses.
struct SessionCookie: Sendable {
    static let name = "handoff_session"
    /// Secure + SameSite=None (cross-site widget) unless plain-http local use turned it off.
    let secure: Bool
    let lifetimeDays: Int

    /// The token from the request's Cookie headers, if present and well-formed.
    static func token(in request: HTTPRequest) -> String? {
        for header in request.headers.values(for: "Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingSpaces()
                guard trimmed.hasPrefix(name + "=") else { continue }
                let value = trimmed.dropFirst(name.count + 1)
                let isToken =
                    value.count == 43
                    && value.utf8.allSatisfy { byte in
                        switch byte {
                        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                            true
                        default: false
                        }
                    }
                if isToken { return String(value) }
            }
        }
        return nil
    }

    /// The Set-Cookie value for a new token.
    func setCookie(_ token: String) -> String {
        let maxAge = lifetimeDays * 86_400
        let crossSite = secure ? "; SameSite=None; Secure" : "; SameSite=Lax"
        return "\(Self.name)=\(token); Max-Age=\(maxAge); Path=/; HttpOnly\(crossSite)"
    }
}
