import Foundation

/// One indicator as a feed's body gives it, before the server stores it under the feed.
public struct FeedItem: Hashable, Sendable {
    /// Its id within the feed: the STIX id (with the target when one pattern names several), or
    /// the list entry.
    public var id: String
    /// The STIX object it came from (its revocation or new version replaces all of its items);
    /// nil for list entries.
    public var source: String?
    public var target: IntelTarget
    /// nil: until the feed drops it.
    public var expires: Date?

    public init(id: String, source: String? = nil, target: IntelTarget, expires: Date? = nil) {
        self.id = id
        self.source = source
        self.target = target
        self.expires = expires
    }
}
