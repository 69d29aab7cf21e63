import Foundation

/// A STIX 2.1 indicator object as a feed layer needs it.
public struct STIXIndicator: Hashable, Sendable {
    public var id: String
    public var modified: Date?
    /// What its pattern names; empty when the pattern cannot be used.
    public var targets: [IntelTarget]
    public var validFrom: Date?
    public var validUntil: Date?
    public var revoked: Bool
    /// 0–100; nil when the producer gave none.
    public var confidence: Int?

    public init(
        id: String, modified: Date? = nil, targets: [IntelTarget], validFrom: Date? = nil, validUntil: Date? = nil, revoked: Bool = false,
        confidence: Int? = nil
    ) {
        self.id = id
        self.modified = modified
        self.targets = targets
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.revoked = revoked
        self.confidence = confidence
    }

    /// The items this version of the indicator puts in force: none when it is revoked, expired
    /// at `now`, below `minimumConfidence` (an indicator without a confidence passes), or its
    /// pattern is unusable. Its items replace whatever an earlier version of it held.
    public func items(now: Date, minimumConfidence: Int) -> [FeedItem] {
        if revoked || targets.isEmpty { return [] }
        if let validUntil, validUntil <= now { return [] }
        if let confidence, confidence < minimumConfidence { return [] }
        let several = Set(targets).count > 1
        var seen: Set<IntelTarget> = []
        return targets.compactMap { target in
            guard seen.insert(target).inserted else { return nil }
            return FeedItem(id: several ? "\(id) \(target)" : id, source: id, target: target, expires: validUntil)
        }
    }
}

/// One TAXII envelope or STIX bundle: its indicators and paging.
public struct STIXPage: Hashable, Sendable {
    public var indicators: [STIXIndicator]
    /// Indicators whose pattern names nothing a feed layer can enforce (counted, not stored).
    public var unusable: Int
    /// The envelope says more objects wait.
    public var more: Bool
    /// The envelope's `next` token, for the following page.
    public var next: String?

    /// Reads a TAXII 2.1 envelope (`objects`, `more`, `next`) or a STIX bundle (`type: bundle`).
    /// Objects other than indicators are skipped; a malformed indicator is an error naming it.
    public static func parse(_ body: [UInt8], feed: String, limits: FeedLimits) throws(FeedError) -> STIXPage {
        guard body.count <= limits.maximumBytes else { throw FeedError(feed: feed, reason: .tooLarge(limit: limits.maximumBytes)) }
        func bad(_ field: String, _ problem: String) -> FeedError { FeedError(feed: feed, reason: .badField(field: field, problem: problem)) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw bad("(document)", "not JSON")
        }
        guard let document = parsed as? [String: Any] else { throw bad("(document)", "not a JSON object") }
        let objects: [Any]
        if let list = document["objects"] {
            guard let array = list as? [Any] else { throw bad("objects", "not an array") }
            objects = array
        } else {
            objects = []
        }
        var page = STIXPage(indicators: [], unusable: 0, more: document["more"] as? Bool ?? false, next: document["next"] as? String)
        if let next = document["next"], !(next is String) { throw bad("next", "not a string") }
        for (index, element) in objects.enumerated() {
            guard let object = element as? [String: Any] else { throw bad("objects[\(index)]", "not an object") }
            guard object["type"] as? String == "indicator" else { continue }
            guard let id = object["id"] as? String, id.hasPrefix("indicator--") else { throw bad("objects[\(index)].id", "missing or not an indicator id") }
            func time(_ key: String) throws(FeedError) -> Date? {
                guard let value = object[key] else { return nil }
                guard let text = value as? String, let nanos = RFC3339.parse(text) else { throw bad("\(id).\(key)", "not an RFC 3339 time") }
                return Date(timeIntervalSince1970: Double(nanos) / 1e9)
            }
            var confidence: Int?
            if let value = object["confidence"] {
                guard let number = value as? Int, (0...100).contains(number) else { throw bad("\(id).confidence", "not an integer from 0 to 100") }
                confidence = number
            }
            if let revoked = object["revoked"], !(revoked is Bool) { throw bad("\(id).revoked", "not true or false") }
            let revoked = object["revoked"] as? Bool ?? false
            let patternType = object["pattern_type"] as? String ?? "stix"
            var targets: [IntelTarget] = []
            if patternType == "stix", let pattern = object["pattern"] as? String {
                targets = STIXPattern.targets(pattern) ?? []
            } else if object["pattern"] == nil, !revoked {
                throw bad("\(id).pattern", "missing")
            }
            if targets.isEmpty && !revoked { page.unusable += 1 }
            page.indicators.append(
                STIXIndicator(
                    id: id, modified: try time("modified"), targets: targets, validFrom: try time("valid_from"),
                    validUntil: try time("valid_until"), revoked: revoked, confidence: confidence))
        }
        return page
    }
}
