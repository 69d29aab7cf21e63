import Foundation

/// What the kernel's feed-layer maps hold for one target: the indicator that decides it (the most
/// severe of those naming it), by the id events carry.
public struct IntelEntry: Hashable, Sendable {
    /// The agent's id of (feed, indicator); never 0.
    public var id: UInt32
    public var action: FeedAction
    /// After this the kernel ignores the entry; nil: never.
    public var expires: Date?

    public init(id: UInt32, action: FeedAction, expires: Date?) {
        self.id = id
        self.action = action
        self.expires = expires
    }
}

/// The writes that bring the kernel's feed-layer maps to a new state: each target's new entry,
/// and the targets no indicator names any more.
public struct IntelChanges: Hashable, Sendable {
    public var upserts: [IntelTarget: IntelEntry] = [:]
    public var deletes: Set<IntelTarget> = []

    public init(upserts: [IntelTarget: IntelEntry] = [:], deletes: Set<IntelTarget> = []) {
        self.upserts = upserts
        self.deletes = deletes
    }

    public var isEmpty: Bool { upserts.isEmpty && deletes.isEmpty }
    /// Map writes and deletes.
    public var count: Int { upserts.count + deletes.count }
}

extension FeedAction {
    /// Deny outranks alert when two indicators name one target.
    var severity: Int {
        switch self {
        case .alert: 1
        case .deny: 2
        }
    }
}
