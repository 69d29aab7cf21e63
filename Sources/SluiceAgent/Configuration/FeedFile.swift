import Foundation
import SluiceCore

/// A local feed file (`sluice agent --feed-file [alert:|deny:]PATH`): a plain list
/// (`IntelList`) the agent reads at start and again whenever it changes, as the feed
/// `file:<file name>`.
public struct FeedFile: Sendable, Hashable {
    public var path: String
    public var action: FeedAction

    public init(path: String, action: FeedAction) {
        self.path = path
        self.action = action
    }

    /// `PATH`, `deny:PATH` or `alert:PATH`.
    public static func parse(_ text: String) -> FeedFile {
        for action in FeedAction.allCases where text.hasPrefix("\(action.rawValue):") {
            return FeedFile(path: String(text.dropFirst(action.rawValue.count + 1)), action: action)
        }
        return FeedFile(path: text, action: .deny)
    }

    /// The feed's name: `file:` and the file's name.
    public var feed: String { IntelLayerSet.localFeedPrefix + URL(fileURLWithPath: path).lastPathComponent }
}
