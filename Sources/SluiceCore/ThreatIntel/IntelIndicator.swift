import Foundation

/// One indicator of one feed as a node enforces it: the feed's layer turns it into a deny or an
/// alert for every application on the node until it expires or is removed.
public struct IntelIndicator: Hashable, Sendable {
    /// The feed's name (its layer), unique on the server.
    public var feed: String
    /// The indicator's id within its feed: a STIX id, or the list entry it came from.
    public var indicator: String
    public var target: IntelTarget
    public var action: FeedAction
    /// When it stops applying; nil: until the feed removes it.
    public var expires: Date?

    public init(feed: String, indicator: String, target: IntelTarget, action: FeedAction, expires: Date?) {
        self.feed = feed
        self.indicator = indicator
        self.target = target
        self.action = action
        self.expires = expires
    }

    /// The key a later change (update or removal) of the same indicator is known by.
    public var key: IntelKey { IntelKey(feed: feed, indicator: indicator) }
}

/// Names one indicator of one feed.
public struct IntelKey: Hashable, Sendable, Comparable {
    public var feed: String
    public var indicator: String

    public init(feed: String, indicator: String) {
        self.feed = feed
        self.indicator = indicator
    }

    public static func < (lhs: IntelKey, rhs: IntelKey) -> Bool {
        (lhs.feed, lhs.indicator) < (rhs.feed, rhs.indicator)
    }
}

/// What changed in the feed layers that target one node since the cursor it last had (the answer
/// to the agent's intel poll). A `full` delta replaces everything the node held.
public struct IntelDelta: Hashable, Sendable {
    /// The `after` of the next poll.
    public var cursor: UInt64
    /// Replace everything held (first poll, changes no longer kept, or the node's feeds changed).
    public var full: Bool
    /// The feeds that target the node now; indicators of any other feed are dropped.
    public var feeds: [String]
    public var upserts: [IntelIndicator]
    public var removals: [IntelKey]
    /// More changes wait: poll again at once with `cursor`.
    public var more: Bool

    public init(
        cursor: UInt64, full: Bool, feeds: [String], upserts: [IntelIndicator], removals: [IntelKey], more: Bool
    ) {
        self.cursor = cursor
        self.full = full
        self.feeds = feeds
        self.upserts = upserts
        self.removals = removals
        self.more = more
    }
}
