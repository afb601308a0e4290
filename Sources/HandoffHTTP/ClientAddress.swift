package import HTTPServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as bytes (4 or 16); IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are
/// their IPv4 address, so one client has one key whichever socket family it came in on.
package struct IPAddress: Equatable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// Parses `192.0.2.7`, `2001:db8::1`, `[2001:db8::1]`, and either with a `:port` after it
    /// (some proxies forward that); nil for anything else.
    package init?(parsing text: some StringProtocol) {
        var text = Substring(text).trimmingSpaces()
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            text = text[text.index(after: text.startIndex)..<close]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        guard !text.isEmpty, text.count <= 45 else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        let string = String(text)
        if inet_pton(AF_INET, string, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, string, &v6) == 1 {
            let all = withUnsafeBytes(of: &v6) { Array($0) }
            bytes = all.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] ? Array(all.suffix(4)) : all
        } else {
            return nil
        }
    }

    /// The canonical text form (`inet_ntop`): what limits are keyed by and logs show.
    package var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &copy, &buffer, socklen_t(buffer.count)) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The `trusted_proxies` setting: addresses and CIDR blocks (`10.0.0.0/8`, `::1`) whose
/// `X-Forwarded-For` header is believed.
package struct TrustedProxies: Equatable, Sendable, CustomStringConvertible {
    /// One block: an address and how many leading bits must match.
    package struct Block: Equatable, Sendable {
        let address: IPAddress
        let prefixLength: Int

        func contains(_ other: IPAddress) -> Bool {
            guard other.bytes.count == address.bytes.count else { return false }
            var remaining = prefixLength
            for (a, b) in zip(address.bytes, other.bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let blocks: [Block]

    package init(blocks: [Block]) {
        self.blocks = blocks
    }

    /// Parses the setting's entries, or names the first that is neither an address nor a block.
    package static func parse(_ entries: [String]) -> Result<TrustedProxies, InvalidEntry> {
        var blocks: [Block] = []
        for entry in entries {
            let parts = entry.split(separator: "/", maxSplits: 1)
            guard let address = parts.first.flatMap({ IPAddress(parsing: $0) }), !entry.contains("[") else {
                return .failure(InvalidEntry(entry: entry))
            }
            let maximum = address.bytes.count * 8
            guard parts.count == 2 else {
                blocks.append(Block(address: address, prefixLength: maximum))
                continue
            }
            guard let length = Int(parts[1]), (0...maximum).contains(length) else {
                return .failure(InvalidEntry(entry: entry))
            }
            blocks.append(Block(address: address, prefixLength: length))
        }
        return .success(TrustedProxies(blocks: blocks))
    }

    /// An entry of the setting that is neither an address nor a block.
    package struct InvalidEntry: Error {
        package let entry: String
    }

    package func contains(_ address: IPAddress) -> Bool { blocks.contains { $0.contains(address) } }

    /// True when no proxy is trusted: every client address is the peer's.
    package var isEmpty: Bool { blocks.isEmpty }

    /// The client behind `request`: its peer when that is not a trusted proxy; otherwise the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy (every proxy appends the
    /// address it saw, so what is left of that is the client's to invent). When every forwarded
    /// address is a trusted proxy, the left-most one; an entry that is not an address stops the
    /// walk at the last trusted hop.
    func clientAddress(of request: HTTPRequest) -> String {
        guard !blocks.isEmpty, let peer = IPAddress(parsing: request.remoteAddress), contains(peer) else {
            return request.remoteAddress
        }
        let forwarded = request.headers.values(for: "X-Forwarded-For").flatMap { $0.split(separator: ",") }
        var nearest = peer
        for entry in forwarded.reversed() {
            guard let address = IPAddress(parsing: entry) else { break }
            guard contains(address) else { return address.description }
            nearest = address
        }
        return nearest.description
    }

    package var description: String {
        blocks.map { block in
            block.prefixLength == block.address.bytes.count * 8
                ? block.address.description : "\(block.address)/\(block.prefixLength)"
        }.joined(separator: ",")
    }
}

/// Runs first on every request: sets `clientAddress` from the trusted proxies' `X-Forwarded-For`,
/// so every per-address limit, the access log and the consent ledger see the client, not the proxy.
package struct ClientAddressMiddleware: HTTPMiddleware {
    let trustedProxies: TrustedProxies

    package init(trustedProxies: TrustedProxies) {
        self.trustedProxies = trustedProxies
    }

    package func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        guard !trustedProxies.blocks.isEmpty else { return try await next.respond(to: request) }
        var request = request
        request.clientAddress = trustedProxies.clientAddress(of: request)
        return try await next.respond(to: request)
    }
}

extension Character {
    package var isASCIIDigit: Bool { isASCII && isNumber }
}
