import Foundation

/// The JSON list formats: Spamhaus DROP lines and Feodo Tracker's array.
struct FeedJSONParser {
    var feed: String
    var limits: FeedLimits

    /// The `cidr` of one Spamhaus DROP line; nil for its metadata line.
    func spamhausLine(_ line: String, line number: Int) throws(FeedError) -> String? {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FeedError(feed: feed, reason: .badLine(line: number, text: line, problem: "not a JSON object"))
            }
            object = parsed
        } catch let error as FeedError {
            throw error
        } catch {
            throw FeedError(feed: feed, reason: .badLine(line: number, text: line, problem: "not JSON"))
        }
        if let cidr = object["cidr"] as? String { return cidr }
        if object["type"] as? String == "metadata" { return nil }
        throw FeedError(feed: feed, reason: .badLine(line: number, text: line, problem: "no field cidr"))
    }

    /// Feodo Tracker's JSON block list: `[{"ip_address": …}, …]`.
    func feodo(_ text: String, expires: Date?) throws(FeedError) -> [FeedItem] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw FeedError(feed: feed, reason: .badField(field: "(document)", problem: "not JSON"))
        }
        guard let entries = parsed as? [Any] else { throw FeedError(feed: feed, reason: .badField(field: "(document)", problem: "not an array")) }
        var items: [FeedItem] = []
        var seen: Set<IntelTarget> = []
        for (index, entry) in entries.enumerated() {
            let field = "[\(index)].ip_address"
            guard let address = (entry as? [String: Any])?["ip_address"] as? String else {
                throw FeedError(feed: feed, reason: .badField(field: field, problem: "missing or not a string"))
            }
            guard case .success(let target) = IntelTarget.parse(address) else {
                throw FeedError(feed: feed, reason: .badField(field: field, problem: "'\(address.prefix(80))' is not an address"))
            }
            guard seen.insert(target).inserted else { continue }
            guard items.count < limits.maximumIndicators else { throw FeedError(feed: feed, reason: .tooManyIndicators(limit: limits.maximumIndicators)) }
            items.append(FeedItem(id: target.description, target: target, expires: expires))
        }
        return items
    }
}
