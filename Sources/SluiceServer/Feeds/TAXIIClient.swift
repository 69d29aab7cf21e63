import Foundation
import SluiceCore

/// Reads a TAXII 2.1 collection's new objects: discovery (when the URL is a discovery
/// endpoint), the API root, then `objects` pages after the last sync's `added_after`, following
/// `next` (or `X-TAXII-Date-Added-Last` where a server gives no `next`) within the page limit.
struct TAXIIClient {
    static let mediaType = "application/taxii+json;version=2.1"
    /// Objects asked for a page; servers answer at most their own page size.
    static let pageLimit = 1000

    let http: FeedHTTP

    /// The indicators added since `addedAfter` (the newest version of each), the unusable count,
    /// and the `added_after` of the next sync.
    func fetch(collection: String, addedAfter: String?) async throws(FeedError) -> (indicators: [STIXIndicator], unusable: Int, addedAfter: String?) {
        let root = try await apiRoot()
        let base = root + "collections/" + (collection.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? collection) + "/objects/"
        var newest: [String: STIXIndicator] = [:]
        var unusable = 0
        // The `added_after` of this pass; pages of one pass repeat it with their `next` (servers
        // such as medallion refuse a `next` whose other parameters changed).
        var cursor = addedAfter
        var next: String?
        var latest = addedAfter
        var seenPages: Set<String> = []
        var pages = 0
        while true {
            pages += 1
            guard pages <= http.limits.maximumPages else { throw FeedError(feed: http.feed.name, reason: .tooManyPages(limit: http.limits.maximumPages)) }
            var query: [String] = ["limit=\(Self.pageLimit)", "match[type]=indicator"]
            if let cursor { query.append("added_after=" + Self.encode(cursor)) }
            if let next { query.append("next=" + Self.encode(next)) }
            let url = base + "?" + query.joined(separator: "&")
            let response = try await http.get(url, headers: [("Accept", Self.mediaType)])
            guard response.status == 200 else { throw http.failure("GET \(url) answered \(response.status)") }
            let page = try STIXPage.parse(response.body, feed: http.feed.name, limits: http.limits)
            unusable += page.unusable
            for indicator in page.indicators {
                if let held = newest[indicator.id], let heldModified = held.modified, let modified = indicator.modified, heldModified > modified { continue }
                newest[indicator.id] = indicator
            }
            let last = response.headers.first(name: "X-TAXII-Date-Added-Last")
            if let last { latest = last }
            guard page.more else { break }
            // The same page again (token, date and objects) means the pages would never end; a
            // server may keep one token for all pages of a pass.
            let signature = [page.next ?? "", last ?? "", page.indicators.map { "\($0.id)@\($0.modified?.timeIntervalSince1970 ?? 0)" }.joined(separator: ",")].joined(separator: "|")
            guard seenPages.insert(signature).inserted else { throw FeedError(feed: http.feed.name, reason: .pageLoop(next: page.next ?? last ?? "(none)")) }
            if let token = page.next {
                next = token
            } else {
                // More without a token: a new pass after the last object's date.
                guard let last else { throw FeedError(feed: http.feed.name, reason: .badField(field: "more", problem: "more pages but neither next nor X-TAXII-Date-Added-Last")) }
                cursor = last
                next = nil
            }
        }
        guard newest.count <= http.limits.maximumIndicators else {
            throw FeedError(feed: http.feed.name, reason: .tooManyIndicators(limit: http.limits.maximumIndicators))
        }
        return (newest.values.sorted { $0.id < $1.id }, unusable, latest)
    }

    /// The API root's URL (ending in `/`): the feed's URL, or the discovery answer's default root.
    private func apiRoot() async throws(FeedError) -> String {
        let url = http.feed.url.hasSuffix("/") ? http.feed.url : http.feed.url + "/"
        let response = try await http.get(url, headers: [("Accept", Self.mediaType)])
        guard response.status == 200 else { throw http.failure("GET \(url) answered \(response.status)") }
        guard let document = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw FeedError(feed: http.feed.name, reason: .badField(field: "(discovery or API root)", problem: "not a JSON object"))
        }
        guard let roots = document["api_roots"] as? [String] else {
            // An API root's information names its versions.
            if let versions = document["versions"] as? [String], !versions.contains(where: { $0.contains("version=2.1") }) {
                throw FeedError(feed: http.feed.name, reason: .badField(field: "versions", problem: "the API root does not speak TAXII 2.1"))
            }
            return url
        }
        guard let chosen = (document["default"] as? String) ?? roots.first, let resolved = URL(string: chosen, relativeTo: URL(string: url)) else {
            throw FeedError(feed: http.feed.name, reason: .badField(field: "api_roots", problem: "no API root"))
        }
        let root = resolved.absoluteString
        return root.hasSuffix("/") ? root : root + "/"
    }

    private static func encode(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
