import Foundation
package import HTTPServer

/// A file embedded in the binary at build time (see Plugins/EmbedAssets), served as is.
package struct StaticAsset: Sendable {
    let contentType: String
    let bytes: [UInt8]

    /// The embedded file at `path` (relative to the package root), or nil if none was embedded.
    init?(path: String, contentType: String) {
        guard let base64 = EmbeddedAssets.base64[path], let data = Data(base64Encoded: base64) else { return nil }
        self.contentType = contentType
        self.bytes = [UInt8](data)
    }

    /// A 200 response with a revalidation-friendly cache header.
    var response: HTTPResponse {
        HTTPResponse(
            status: .ok, contentType: contentType, body: bytes,
            headers: ["Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"])
    }

    /// `response` for a page a person signs in to with a key (the console, the reports): only
    /// its own script runs, it talks only to its own origin, and no other site frames it.
    var keyHoldingPageResponse: HTTPResponse {
        var response = response
        response.headers.add(name: "Content-Security-Policy", value: Self.keyHoldingPagePolicy)
        return response
    }

    static let keyHoldingPagePolicy =
        "default-src 'none'; script-src 'self'; connect-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}

extension StaticAsset {
    /// `GET /widget.js`, and `GET /demo` with `withDemo` (only beside the simulator, on loopback),
    /// when the build embedded them.
    package static func registerWidget(in router: inout Router, withDemo: Bool) {
        if let script = StaticAsset(path: "web/widget.js", contentType: "text/javascript; charset=utf-8") {
            router.get("/widget.js") { _ in script.response }
        }
        if withDemo, let demo = StaticAsset(path: "web/demo.html", contentType: "text/html; charset=utf-8") {
            router.get("/demo") { _ in demo.response }
        }
    }

    /// `GET /console` (the agent console's page) and `GET /console.js` (the console itself, which
    /// `/demo` embeds too), when the build embedded them. The page holds no data: everything it
    /// shows comes from the API, with the key the agent signs in with (hence its policy).
    package static func registerConsole(in router: inout Router) {
        if let page = StaticAsset(path: "web/console.html", contentType: "text/html; charset=utf-8") {
            let response = page.keyHoldingPageResponse
            router.get("/console") { _ in response }
        }
        if let script = StaticAsset(path: "web/console.js", contentType: "text/javascript; charset=utf-8") {
            router.get("/console.js") { _ in script.response }
        }
    }
}
