import Foundation

/// The indicators a node enforces, from the server's feeds and its local feed files, and what the
/// kernel holds for them: every change (a delta, a local file, expiry) yields only the map writes
/// it needs, so 100,000 indicators never mean a policy recompile.
///
/// Each indicator gets an id that stays its own while it is held (events name it by that id).
public struct IntelLayerSet: Sendable {
    /// One held indicator with its id.
    public struct Held: Hashable, Sendable {
        public var indicator: IntelIndicator
        public var id: UInt32
    }

    public private(set) var held: [IntelKey: Held] = [:]
    /// The server's cursor: the `after` of the next poll; nil before its first answer.
    public var cursor: UInt64?
    /// Feeds read from local files (`IntelLayerSet.localFeedPrefix`), which server deltas never drop.
    public private(set) var localFeeds: Set<String> = []
    /// What the kernel holds now, by target.
    public private(set) var installed: [IntelTarget: IntelEntry] = [:]
    private var byTarget: [IntelTarget: Set<IntelKey>] = [:]
    private var byID: [UInt32: IntelKey] = [:]
    private var nextID: UInt32 = 1

    /// Local feed files' feeds are named `file:<name>`, so no server feed can be taken for one.
    public static let localFeedPrefix = "file:"

    public init() {}

    /// The indicator behind an event's intel id.
    public func indicator(id: UInt32) -> IntelIndicator? {
        byID[id].flatMap { held[$0]?.indicator }
    }

    /// Indicators held per feed.
    public var countsByFeed: [String: Int] {
        held.values.reduce(into: [:]) { $0[$1.indicator.feed, default: 0] += 1 }
    }

    /// The earliest expiry of a held indicator: when `expire` next has work.
    public var nextExpiry: Date? {
        held.values.lazy.compactMap(\.indicator.expires).min()
    }

    /// Applies the server's answer. A full delta replaces every server indicator; either kind
    /// drops the indicators of feeds no longer listed for the node.
    public mutating func apply(_ delta: IntelDelta, now: Date) -> IntelChanges {
        var dirty = Set<IntelTarget>()
        let listed = Set(delta.feeds)
        // A full set keeps what it repeats (same ids, no write) and drops the rest.
        let repeated = delta.full ? Set(delta.upserts.lazy.filter { listed.contains($0.feed) }.map(\.key)) : []
        for (key, entry) in held where !localFeeds.contains(key.feed) && (delta.full ? !repeated.contains(key) : !listed.contains(key.feed)) {
            remove(key, target: entry.indicator.target, dirty: &dirty)
        }
        for key in delta.removals where !localFeeds.contains(key.feed) {
            if let entry = held[key] { remove(key, target: entry.indicator.target, dirty: &dirty) }
        }
        for indicator in delta.upserts where listed.contains(indicator.feed) && !localFeeds.contains(indicator.feed) {
            insert(indicator, dirty: &dirty)
        }
        cursor = delta.cursor
        return settle(dirty, now: now)
    }

    /// Replaces one local feed's indicators (a feed file read again); an empty list drops it.
    public mutating func replaceLocalFeed(_ feed: String, with indicators: [IntelIndicator], now: Date) -> IntelChanges {
        var dirty = Set<IntelTarget>()
        for (key, entry) in held where key.feed == feed {
            remove(key, target: entry.indicator.target, dirty: &dirty)
        }
        if indicators.isEmpty {
            localFeeds.remove(feed)
        } else {
            localFeeds.insert(feed)
        }
        for var indicator in indicators {
            indicator.feed = feed
            insert(indicator, dirty: &dirty)
        }
        return settle(dirty, now: now)
    }

    /// Drops indicators past their expiry.
    public mutating func expire(now: Date) -> IntelChanges {
        var dirty = Set<IntelTarget>()
        for (key, entry) in held {
            if let expires = entry.indicator.expires, expires <= now {
                remove(key, target: entry.indicator.target, dirty: &dirty)
            }
        }
        return settle(dirty, now: now)
    }

    /// Records that the kernel lost what it held (new maps): the next `reinstall` writes all.
    public mutating func forgetInstalled(now: Date) -> IntelChanges {
        installed = [:]
        return settle(Set(byTarget.keys), now: now)
    }

    /// Holds `indicator` under `id` as a saved set had it (ids must stay what events said);
    /// nothing is installed until `forgetInstalled`.
    mutating func restore(_ indicator: IntelIndicator, id: UInt32, local: Bool) {
        let key = indicator.key
        guard id != 0, held[key] == nil, byID[id] == nil else { return }
        held[key] = Held(indicator: indicator, id: id)
        byID[id] = key
        byTarget[indicator.target, default: []].insert(key)
        if local { localFeeds.insert(indicator.feed) }
        nextID = max(nextID, id &+ 1)
    }

    private mutating func insert(_ indicator: IntelIndicator, dirty: inout Set<IntelTarget>) {
        let key = indicator.key
        if let previous = held[key] {
            if previous.indicator.target != indicator.target {
                byTarget[previous.indicator.target]?.remove(key)
                dirty.insert(previous.indicator.target)
            }
            held[key] = Held(indicator: indicator, id: previous.id)
        } else {
            let id = takeID()
            held[key] = Held(indicator: indicator, id: id)
            byID[id] = key
        }
        byTarget[indicator.target, default: []].insert(key)
        dirty.insert(indicator.target)
    }

    private mutating func remove(_ key: IntelKey, target: IntelTarget, dirty: inout Set<IntelTarget>) {
        guard let entry = held.removeValue(forKey: key) else { return }
        byID[entry.id] = nil
        byTarget[target]?.remove(key)
        if byTarget[target]?.isEmpty == true { byTarget[target] = nil }
        dirty.insert(target)
    }

    private mutating func takeID() -> UInt32 {
        while byID[nextID] != nil || nextID == 0 { nextID &+= 1 }
        defer { nextID &+= 1 }
        return nextID
    }

    /// The targets' new entries: per target the most severe live indicator, the later expiry on a
    /// tie (it holds longest), then the lowest key.
    private mutating func settle(_ dirty: Set<IntelTarget>, now: Date) -> IntelChanges {
        var changes = IntelChanges()
        for target in dirty {
            var winner: Held?
            for key in byTarget[target] ?? [] {
                guard let candidate = held[key], candidate.indicator.expires.map({ $0 > now }) ?? true else { continue }
                if winner.map({ Self.ranks(candidate, above: $0) }) ?? true { winner = candidate }
            }
            let entry = winner.map { IntelEntry(id: $0.id, action: $0.indicator.action, expires: $0.indicator.expires) }
            guard installed[target] != entry else { continue }
            if let entry {
                installed[target] = entry
                changes.upserts[target] = entry
            } else {
                installed[target] = nil
                changes.deletes.insert(target)
            }
        }
        return changes
    }

    private static func ranks(_ lhs: Held, above rhs: Held) -> Bool {
        let (left, right) = (lhs.indicator, rhs.indicator)
        if left.action.severity != right.action.severity { return left.action.severity > right.action.severity }
        if left.expires != right.expires { return (left.expires ?? .distantFuture) > (right.expires ?? .distantFuture) }
        return left.key < right.key
    }
}
