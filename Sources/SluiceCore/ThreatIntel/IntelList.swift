import Foundation

/// A plain list read on the node (`--feed-file`): the server's list format (`FeedListParser`,
/// format `list`), each entry an indicator of `feed` with the file's action.
public enum IntelList {
    /// The list's indicators; a bad line refuses the whole list, naming the line.
    public static func parse(_ text: String, feed: String, action: FeedAction, expires: Date?) throws(FeedError) -> [IntelIndicator] {
        try FeedListParser(feed: feed, format: .list).parse(Array(text.utf8), expires: expires).map { item in
            IntelIndicator(feed: feed, indicator: item.id, target: item.target, action: action, expires: item.expires)
        }
    }
}
