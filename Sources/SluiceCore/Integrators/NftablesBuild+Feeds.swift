import Foundation

extension NftablesBuild {
    /// One set per feed, action and family, elements timing out when their indicators expire;
    /// the feed chain every accept not decided by an exact-address allow passes through.
    mutating func addFeeds(_ indicators: [IntelIndicator], now: Date) {
        let layers = Dictionary(grouping: indicators) { FeedLayer(feed: $0.feed, action: $0.action) }
        var denies: [NftRule] = []
        var alerts: [NftRule] = []
        for (number, layer) in layers.keys.sorted().enumerated() {
            let members = layers[layer, default: []]
            let domains = members.filter { if case .domain = $0.target { true } else { false } }.count
            if domains > 0 {
                unexpressed.append(
                    UnexpressedRule(reason: .domainIndicators, policy: layer.feed, rule: "\(domains) domain indicator\(domains == 1 ? "" : "s")", location: nil, subject: "node"))
            }
            for family in [IPAddress.Family.ipv4, .ipv6] {
                let elements = Self.elements(members, family: family, now: now)
                guard !elements.isEmpty else { continue }
                let name = "feed\(number)_\(family == .ipv4 ? "v4" : "v6")"
                sets.append(NftSet(name: name, family: family, interval: true, timeouts: true, elements: elements, comment: "feed \(layer.feed) (\(layer.action.rawValue))"))
                let match: [NftMatch] = [.destinationSet(name: name, family: family)]
                switch layer.action {
                case .deny: denies += refusal(match, [], comment: "feed \(layer.feed)")
                case .alert: alerts.append(NftRule(match, [.log(prefix: String("sluice feed \(layer.feed) ".prefix(100)))], comment: "feed \(layer.feed)"))
                }
            }
        }
        feedChain.rules = denies + alerts
        hasFeeds = !feedChain.rules.isEmpty
    }

    /// The family's prefixes, each with the seconds its indicator has left; a prefix inside
    /// another of the same layer merges into it (an interval set refuses overlaps), which then
    /// lives as long as the longer-lived of the two.
    static func elements(_ indicators: [IntelIndicator], family: IPAddress.Family, now: Date) -> [NftSetElement] {
        var live: [(IPPrefix, Int?)] = []
        for indicator in indicators {
            guard case .prefix(let prefix) = indicator.target, prefix.family == family else { continue }
            if let expires = indicator.expires {
                let left = Int(expires.timeIntervalSince(now).rounded(.up))
                if left > 0 { live.append((prefix, left)) }
            } else {
                live.append((prefix, nil))
            }
        }
        live.sort { ($0.0.address, $0.0.length) < ($1.0.address, $1.0.length) }
        var merged: [NftSetElement] = []
        for (prefix, timeout) in live {
            if let last = merged.last, last.prefix.length <= prefix.length, last.prefix.contains(prefix.address) {
                let longer: Int? = last.timeoutSeconds.flatMap { current in timeout.map { max(current, $0) } }
                merged[merged.count - 1].timeoutSeconds = longer
            } else {
                merged.append(NftSetElement(prefix: prefix, timeoutSeconds: timeout))
            }
        }
        return merged
    }
}

/// One feed's indicators with one action: one set per family.
struct FeedLayer: Hashable, Comparable {
    var feed: String
    var action: FeedAction

    static func < (lhs: FeedLayer, rhs: FeedLayer) -> Bool { (lhs.feed, lhs.action.rawValue) < (rhs.feed, rhs.action.rawValue) }
}
