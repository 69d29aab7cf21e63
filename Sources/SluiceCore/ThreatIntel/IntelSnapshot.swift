import Foundation

/// The indicators a node holds, as the agent keeps them in its state folder: a restarted agent
/// enforces them before it reaches its server, under the same ids.
public struct IntelSnapshot: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var id: UInt32
        public var feed: String
        public var indicator: String
        public var target: String
        public var action: FeedAction
        public var expires: Date?
    }

    public var cursor: UInt64?
    public var localFeeds: [String]
    public var indicators: [Entry]
}

/// Why a saved set was refused.
public enum IntelSnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An entry's target no longer parses (index into `indicators`).
    case target(index: Int, IntelTarget.ParseError)

    public var description: String {
        switch self {
        case .target(let index, let error): "intel indicator \(index): \(error)"
        }
    }
}

extension IntelLayerSet {
    /// What to save.
    public var snapshot: IntelSnapshot {
        IntelSnapshot(
            cursor: cursor, localFeeds: localFeeds.sorted(),
            indicators: held.values.sorted { $0.id < $1.id }.map {
                IntelSnapshot.Entry(
                    id: $0.id, feed: $0.indicator.feed, indicator: $0.indicator.indicator, target: $0.indicator.target.description,
                    action: $0.indicator.action, expires: $0.indicator.expires)
            })
    }

    /// A set as saved; the kernel is taken to hold nothing (`forgetInstalled` gives the writes).
    public init(snapshot: IntelSnapshot) throws(IntelSnapshotError) {
        self.init()
        let local = Set(snapshot.localFeeds)
        for (index, entry) in snapshot.indicators.enumerated() {
            let target: IntelTarget
            switch IntelTarget.parse(entry.target) {
            case .success(let parsed): target = parsed
            case .failure(let error): throw .target(index: index, error)
            }
            let indicator = IntelIndicator(
                feed: entry.feed, indicator: entry.indicator, target: target, action: entry.action, expires: entry.expires)
            restore(indicator, id: entry.id, local: local.contains(entry.feed))
        }
        cursor = snapshot.cursor
    }
}
