import Foundation

extension IntelLayerSet {
    /// The layers a node holds after a whole set of `indicators` (a full answer to its poll).
    public init(indicators: [IntelIndicator], now: Date) {
        self.init()
        _ = apply(
            IntelDelta(cursor: 0, full: true, feeds: Array(Set(indicators.map(\.feed))), upserts: indicators, removals: [], more: false),
            now: now)
    }

    /// The layers after `feed` is added with `indicators`, or changed to them: its indicators
    /// held now are replaced, every other feed's stay.
    public func replacingFeed(_ feed: String, with indicators: [IntelIndicator], now: Date) -> IntelLayerSet {
        var next = self
        let feeds = Set(held.keys.map(\.feed)).union([feed])
        let dropped = held.keys.filter { $0.feed == feed }
        _ = next.apply(
            IntelDelta(
                cursor: cursor ?? 0, full: false, feeds: Array(feeds), upserts: indicators.map { var copy = $0; copy.feed = feed; return copy },
                removals: dropped, more: false),
            now: now)
        return next
    }
}

extension FeedItem {
    /// The item as the layer of `feed` enforces it.
    public func indicator(feed: String, action: FeedAction) -> IntelIndicator {
        IntelIndicator(feed: feed, indicator: id, target: target, action: action, expires: expires)
    }
}
