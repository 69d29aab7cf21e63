import Foundation
import SluiceCore

// The intel poll's wire form and the core's IntelDelta, each way (the server sends, the agent reads).

extension SchemaMismatch {
    /// An indicator whose target is neither an address, a prefix nor a domain name.
    static func target(_ error: IntelTarget.ParseError) -> SchemaMismatch {
        .unknownName("\(error)", type: "IntelTarget")
    }
}

extension Components.Schemas.IntelDelta {
    /// The changes the server sends to a node.
    public init(_ delta: IntelDelta) {
        self.init(
            cursor: Int(clamping: delta.cursor), full: delta.full, feeds: delta.feeds,
            upserts: delta.upserts.map {
                .init(
                    feed: $0.feed, indicator: $0.indicator, target: $0.target.description,
                    action: $0.action == .deny ? .deny : .alert, expires: $0.expires)
            },
            removals: delta.removals.map { .init(feed: $0.feed, indicator: $0.indicator) },
            more: delta.more)
    }
}

extension IntelDelta {
    /// The changes a node received.
    public init(_ wire: Components.Schemas.IntelDelta) throws {
        guard let cursor = UInt64(exactly: wire.cursor) else { throw SchemaMismatch.outOfRange(field: "cursor", value: wire.cursor) }
        let upserts = try wire.upserts.map { item in
            let target: IntelTarget
            switch IntelTarget.parse(item.target) {
            case .success(let parsed): target = parsed
            case .failure(let error): throw SchemaMismatch.target(error)
            }
            return IntelIndicator(
                feed: item.feed, indicator: item.indicator, target: target,
                action: item.action == .deny ? .deny : .alert, expires: item.expires)
        }
        self.init(
            cursor: cursor, full: wire.full, feeds: wire.feeds, upserts: upserts,
            removals: wire.removals.map { IntelKey(feed: $0.feed, indicator: $0.indicator) }, more: wire.more)
    }
}
