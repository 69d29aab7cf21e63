import Foundation
import SQLKit
import SluiceCore

/// What one successful fetch brings to a feed's stored set.
struct FeedFetch: Sendable {
    enum Change: Sendable {
        /// The list's whole set: whatever it no longer names is removed.
        case replace([FeedItem])
        /// New versions of STIX objects: each replaces what its earlier version held (nothing
        /// when revoked, expired or below the confidence threshold).
        case merge([(source: String, items: [FeedItem])])
        /// The source answered 304 Not Modified.
        case unchanged
    }

    var change: Change
    var etag: String?
    var lastModified: String?
    var addedAfter: String?
    var unusable: Int
}

/// A node's answer to its intel poll, and the sequence it was read at.
extension Store {
    /// Which feeds target which nodes changed: a later poll from an earlier cursor gets the
    /// whole set.
    static func intelLayoutChanged(_ session: ServerDatabase.Session) async throws {
        try await session.sql.raw("UPDATE intel_state SET seq = seq + 1, layout_seq = seq + 1 WHERE id = 1").run()
    }

    func intelSequence() async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT seq FROM intel_state WHERE id = 1").first().map { try $0.int64("seq") } ?? 0
        }
    }

    /// Applies a fetch in one transaction; a set beyond `maximumIndicators` is refused whole and
    /// nothing changes. Returns the feed's live count and the sequence after.
    func applyFeedFetch(id: Int64, feed: String, _ fetch: FeedFetch, attemptUs: Int64, maximumIndicators: Int) async throws -> (count: Int64, seq: Int64) {
        try await database.transaction { [self] session in
            var seq = try await session.sql.raw("SELECT seq FROM intel_state WHERE id = 1\(self.forUpdate)").first().map { try $0.int64("seq") } ?? 0
            let now = attemptUs
            var writes: [IndicatorWrite] = []
            func live(_ filter: SQLQueryString) async throws -> [String: (target: String, expires: Int64?)] {
                var rows: [String: (String, Int64?)] = [:]
                for row in try await session.sql.raw("SELECT indicator, target, expires_us FROM feed_indicators WHERE feed_id = \(bind: id) AND removed = \(bind: false)\(filter)").all() {
                    rows[try row.string("indicator")] = (try row.string("target"), try row.optionalInt64("expires_us"))
                }
                return rows
            }
            func diff(old: [String: (target: String, expires: Int64?)], new: [FeedItem]) {
                var kept: Set<String> = []
                for item in new {
                    kept.insert(item.id)
                    let expires = item.expires.map(Micros.from)
                    let target = item.target.description
                    if let previous = old[item.id], previous.target == target, previous.expires == expires || Self.stillFresh(previous.expires, expires, nowUs: now) {
                        continue
                    }
                    seq += 1
                    writes.append(IndicatorWrite(indicator: item.id, source: item.source, target: target, expiresUs: expires, seq: seq, removed: false))
                }
                for (indicator, previous) in old where !kept.contains(indicator) {
                    seq += 1
                    writes.append(IndicatorWrite(indicator: indicator, source: nil, target: previous.target, expiresUs: previous.expires, seq: seq, removed: true))
                }
            }
            switch fetch.change {
            case .replace(let items):
                diff(old: try await live(""), new: items)
            case .merge(let sources):
                for (source, items) in sources {
                    diff(old: try await live(" AND source = \(bind: source)"), new: items)
                }
            case .unchanged:
                break
            }
            try await Store.write(writes, feedID: id, nowUs: now, session: session)
            let count = try await session.sql.raw(
                "SELECT COUNT(*) AS n FROM feed_indicators WHERE feed_id = \(bind: id) AND removed = \(bind: false)"
            ).first().map { try $0.int64("n") } ?? 0
            if count > maximumIndicators {
                throw FeedError(feed: feed, reason: .tooManyIndicators(limit: maximumIndicators))
            }
            try await session.sql.raw("UPDATE intel_state SET seq = \(bind: seq) WHERE id = 1").run()
            let notModified: Int64 = if case .unchanged = fetch.change { 1 } else { 0 }
            try await session.sql.raw(
                """
                UPDATE feeds SET last_fetch_us = \(bind: now), last_success_us = \(bind: now), last_error = NULL,
                indicator_count = \(bind: count), unusable = \(bind: Int64(fetch.unusable)), etag = COALESCE(\(bind: fetch.etag), etag),
                last_modified = COALESCE(\(bind: fetch.lastModified), last_modified), added_after = COALESCE(\(bind: fetch.addedAfter), added_after),
                fetches = fetches + 1, not_modified = not_modified + \(bind: notModified) WHERE id = \(bind: id)
                """
            ).run()
            return (count, seq)
        }
    }

    /// Turns the indicators whose expiry passed into tombstones; returns the sequence after
    /// (nil when none expired).
    func expireIndicators(nowUs: Int64) async throws -> Int64? {
        try await database.transaction { [self] session in
            let rows = try await session.sql.raw(
                "SELECT feed_id, indicator, target, expires_us FROM feed_indicators WHERE removed = \(bind: false) AND expires_us <= \(bind: nowUs) ORDER BY feed_id, indicator"
            ).all()
            guard !rows.isEmpty else { return nil }
            var seq = try await session.sql.raw("SELECT seq FROM intel_state WHERE id = 1\(self.forUpdate)").first().map { try $0.int64("seq") } ?? 0
            var byFeed: [Int64: [IndicatorWrite]] = [:]
            for row in rows {
                seq += 1
                byFeed[try row.int64("feed_id"), default: []].append(
                    IndicatorWrite(
                        indicator: try row.string("indicator"), source: nil, target: try row.string("target"),
                        expiresUs: try row.optionalInt64("expires_us"), seq: seq, removed: true))
            }
            for (feedID, writes) in byFeed {
                try await Store.write(writes, feedID: feedID, nowUs: nowUs, session: session)
                try await session.sql.raw(
                    "UPDATE feeds SET indicator_count = (SELECT COUNT(*) FROM feed_indicators WHERE feed_id = \(bind: feedID) AND removed = \(bind: false)) WHERE id = \(bind: feedID)"
                ).run()
            }
            try await session.sql.raw("UPDATE intel_state SET seq = \(bind: seq) WHERE id = 1").run()
            return seq
        }
    }

    /// Forgets tombstones older than `beforeUs`; a cursor before the newest forgotten one gets
    /// the whole set.
    func pruneTombstones(beforeUs: Int64) async throws {
        try await database.transaction { session in
            guard let newest = try await session.sql.raw(
                "SELECT MAX(seq) AS s FROM feed_indicators WHERE removed = \(bind: true) AND changed_us < \(bind: beforeUs)"
            ).first().flatMap({ try $0.optionalInt64("s") }) else { return }
            try await session.sql.raw("DELETE FROM feed_indicators WHERE removed = \(bind: true) AND seq <= \(bind: newest)").run()
            try await session.sql.raw("UPDATE intel_state SET floor_seq = \(bind: newest) WHERE id = 1 AND floor_seq < \(bind: newest)").run()
        }
    }

    /// What changed for a node with `labels` after `after` (nil: everything), at most `pageSize`
    /// changes.
    func intelDelta(labels: [String: String], after: Int64?, pageSize: Int) async throws -> IntelDelta {
        try await database.transaction { session in
            guard let state = try await session.sql.raw("SELECT seq, layout_seq, floor_seq FROM intel_state WHERE id = 1").first() else {
                return IntelDelta(cursor: 0, full: true, feeds: [], upserts: [], removals: [], more: false)
            }
            let seq = try state.int64("seq")
            var targeting: [Int64: (name: String, action: FeedAction)] = [:]
            for row in try await session.sql.raw("SELECT id, name, action, node_selector FROM feeds").all() {
                guard NodeSelector.matches(JSONColumn.decodeMap(try row.string("node_selector")), labels: labels) else { continue }
                targeting[try row.int64("id")] = (try row.string("name"), FeedAction(rawValue: try row.string("action")) ?? .deny)
            }
            let feeds = targeting.values.map(\.name).sorted()
            let layout = try state.int64("layout_seq")
            let continuing = after.map(IntelCursor.isContinuation) ?? false
            let base = after.map(IntelCursor.sequence)
            var full = true
            if let after, let base, base >= (try state.int64("floor_seq")), base <= seq,
                continuing ? IntelCursor.began(after, under: layout) : base >= layout
            {
                full = false
            }
            guard !targeting.isEmpty else { return IntelDelta(cursor: UInt64(seq), full: full, feeds: [], upserts: [], removals: [], more: false) }
            let ids = targeting.keys.sorted().map { $0 as any Encodable & Sendable }
            let filter: SQLQueryString = full ? " AND removed = \(bind: false)" : " AND seq > \(bind: base ?? 0)"
            let rows = try await session.sql.raw(
                """
                SELECT feed_id, indicator, target, expires_us, seq, removed FROM feed_indicators
                WHERE feed_id IN (\(binds: ids))\(filter) ORDER BY seq LIMIT \(bind: Int64(pageSize + 1))
                """
            ).all()
            let more = rows.count > pageSize
            var upserts: [IntelIndicator] = []
            var removals: [IntelKey] = []
            var last = seq
            for row in rows.prefix(pageSize) {
                guard let feed = targeting[try row.int64("feed_id")] else { continue }
                let indicator = try row.string("indicator")
                last = try row.int64("seq")
                if try row.bool("removed") {
                    removals.append(IntelKey(feed: feed.name, indicator: indicator))
                } else if case .success(let target) = IntelTarget.parse(try row.string("target")) {
                    upserts.append(
                        IntelIndicator(
                            feed: feed.name, indicator: indicator, target: target, action: feed.action,
                            expires: try row.optionalInt64("expires_us").map(Micros.date)))
                }
            }
            // A page of a whole set goes on as a continuation; the last page moves to `seq`.
            let cursor = !more ? seq : (full || continuing) ? IntelCursor.continuation(after: last, layout: layout) : last
            return IntelDelta(cursor: UInt64(cursor), full: full, feeds: feeds, upserts: upserts, removals: removals, more: more)
        }
    }

    /// A list entry's expiry moves forward with each sync that sees it; rewriting it (and sending
    /// it to every node) only once less than half its lifetime is left keeps a steady list quiet.
    static func stillFresh(_ held: Int64?, _ renewed: Int64?, nowUs: Int64) -> Bool {
        guard let held, let renewed, renewed > held else { return false }
        return held - nowUs > (renewed - nowUs) / 2
    }

    /// One indicator row as a sync or the expiry sweep leaves it.
    struct IndicatorWrite: Sendable {
        var indicator: String
        var source: String?
        var target: String
        var expiresUs: Int64?
        var seq: Int64
        var removed: Bool
    }

    /// Upserts the rows, several to a statement.
    static func write(_ writes: [IndicatorWrite], feedID: Int64, nowUs: Int64, session: ServerDatabase.Session) async throws {
        var start = 0
        while start < writes.count {
            let batch = writes[start..<min(start + 400, writes.count)]
            start += batch.count
            let values = batch.map { write -> SQLQueryString in
                "(\(bind: feedID), \(bind: write.indicator), \(bind: write.source), \(bind: write.target), \(bind: write.expiresUs), \(bind: write.seq), \(bind: write.removed), \(bind: nowUs))"
            }.joined(separator: ", ")
            // A tombstone keeps the source it had, so a later version of its STIX object finds it.
            try await session.sql.raw(
                """
                INSERT INTO feed_indicators (feed_id, indicator, source, target, expires_us, seq, removed, changed_us) VALUES \(values)
                ON CONFLICT (feed_id, indicator) DO UPDATE SET source = COALESCE(excluded.source, feed_indicators.source),
                target = excluded.target, expires_us = excluded.expires_us, seq = excluded.seq, removed = excluded.removed,
                changed_us = excluded.changed_us
                """
            ).run()
        }
    }
}
