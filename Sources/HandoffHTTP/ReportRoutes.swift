package import HTTPServer
package import HandoffDomain

/// Reports (API.md "Identity, attribution, outcomes, reports"): the funnel computed from stored
/// facts, as JSON or CSV, with an API key; and `GET /reports`, the page that draws them for a
/// person (web/reports.html and its script, embedded; it signs in with an API key itself).
package struct ReportRoutes {
    let reports: FunnelReportService
    let authenticator: APIKeyAuthenticator

    package init(reports: FunnelReportService, authenticator: APIKeyAuthenticator) {
        self.reports = reports
        self.authenticator = authenticator
    }

    package func register(in router: inout Router) {
        if let page = StaticAsset(path: "web/reports.html", contentType: "text/html; charset=utf-8"),
            let script = StaticAsset(path: "web/reports.js", contentType: "text/javascript; charset=utf-8")
        {
            let response = page.keyHoldingPageResponse
            router.get("/reports") { _ in response }
            router.get("/reports.js") { _ in script.response }
        }
        router.get("/v1/reports/funnel") { [reports, authenticator] request in
            try await authenticator.authenticate(request)
            let rows = try await reports.report(try Self.query(request))
            return try JSONBody.response(FunnelReportJSON(rows: rows))
        }
        router.get("/v1/reports/funnel.csv") { [reports, authenticator] request in
            try await authenticator.authenticate(request)
            let query = try Self.query(request)
            let csv = FunnelCSV.render(try await reports.report(query), byVariant: query.dimension == .variant)
            return HTTPResponse(contentType: "text/csv; charset=utf-8", body: Array(csv.utf8))
        }
    }

    private static func query(_ request: HTTPRequest) throws -> FunnelQuery {
        let parameters = try QueryParameters(request)
        return try FunnelQuery(from: parameters["from"], to: parameters["to"], by: parameters["by"])
    }
}
