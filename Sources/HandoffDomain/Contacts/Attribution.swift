import Foundation
package import Storage

extension ConversationAttribution {
    /// Where a conversation starting now comes from: the `campaign` named, and the page with the
    /// `utm_source`, `utm_medium` and `utm_campaign` of its query (the first of each; `+` is a
    /// space, as forms encode it; an empty or undecodable value counts as absent).
    package init(campaign: String?, page pageURL: String?) {
        var utm: [String: String] = [:]
        let query =
            pageURL?.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
            .split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard name.hasPrefix("utm_"), utm[name] == nil, parts.count == 2,
                let value = parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                !value.isEmpty
            else { continue }
            utm[name] = value
        }
        self.init(
            campaign: campaign, pageURL: pageURL, utmSource: utm["utm_source"], utmMedium: utm["utm_medium"],
            utmCampaign: utm["utm_campaign"])
    }

    /// The attribution of a conversation a widget session starts.
    package init(_ details: SessionDetails) { self.init(campaign: details.campaign, page: details.pageURL) }
}
