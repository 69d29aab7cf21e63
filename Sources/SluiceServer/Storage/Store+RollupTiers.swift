import Foundation
import SQLKit
import SluiceCore

/// A rollup table and the minutes one of its rows spans.
struct RollupTier: Sendable {
    var table: String
    /// The column of the row's time, in `minutes` units since the epoch.
    var time: String
    var minutes: Int64
    /// The tier keeps no node, executable or verdict: it answers only queries filtering none.
    var fleetWide = false

    static let applicationMinutes = RollupTier(table: "app_rollups", time: "minute", minutes: 1)
    static let applicationHours = RollupTier(table: "app_rollups_hourly", time: "hour", minutes: 60)
    static let destinationMinutes = RollupTier(table: "event_rollups", time: "minute", minutes: 1)
    static let destinationHours = RollupTier(table: "event_rollups_hourly", time: "hour", minutes: 60)
    static let destinationDays = RollupTier(table: "destination_rollups_daily", time: "day", minutes: Store.minutesPerDay, fleetWide: true)
}

/// One part of a report's range and the tier that reads it, in the tier's units.
struct RollupScan: Sendable {
    var tier: RollupTier
    var from: Int64?
    var to: Int64?
    /// -1 for a part read only to be taken away from a whole row read beside it (Store+RollupEdges.swift).
    var sign: Int64 = 1
    /// For a whole row read in place of a range that starts inside it: its `last_us` counts only from here.
    var lastFromUs: Int64?
}

/// A report would read more rollup rows than `ServerConfiguration.RequestLimits.reportRowBudget`.
struct ReportTooCostly: Error, CustomStringConvertible {
    var budget: Int

    var description: String {
        "this report would read more than \(budget) stored rows; narrow the range (from, to) or filter by node, exe or verdict"
    }
}

extension Store {
    /// Whether the rollups can answer a query: only its time range, nodes, executable, verdicts
    /// and kinds filter (what a rollup row keeps).
    static func rollupsAnswer(_ query: EventQuery) -> Bool {
        query.destination == nil && query.domain == nil && query.port == nil && query.policy == nil && query.cursor == nil
    }

    /// The tiers of `tiers` (finest first) that can answer `query`.
    static func usableTiers(_ tiers: [RollupTier], for query: EventQuery) -> [RollupTier] {
        let filtered = query.nodeIDs != nil || query.executable != nil || !query.verdicts.isEmpty
        return tiers.filter { !($0.fleetWide && filtered) }
    }

    /// Splits a query's range, widened to whole minutes, over `tiers` (finest first, each a whole
    /// multiple of the one before): whole rows of the coarsest tier that fit inside, the rest at
    /// either end from the finer ones. An open range is read from the finest tier alone.
    /// With `subtracting`, a range that starts late in a coarsest row may read that row whole
    /// and take away its part before the range (`complementedStart`): only sums can be read so.
    static func rollupScans(_ query: EventQuery, tiers: [RollupTier], subtracting: Bool = false) -> [RollupScan] {
        let (first, end) = minuteRange(query)
        guard let first, let end else { return [RollupScan(tier: tiers[0], from: first, to: end)] }
        let scans = (subtracting ? complementedStart(first: first, end: end, tiers: tiers) : nil) ?? split(first: first, end: end, tiers: tiers[...])
        return scans.isEmpty ? [RollupScan(tier: tiers[0], from: first, to: end)] : scans
    }

    /// A query's range in minutes, widened to whole ones: its first, and the one past its end.
    static func minuteRange(_ query: EventQuery) -> (first: Int64?, end: Int64?) {
        (query.sinceUs.map { $0 / microsPerMinute }, query.untilUs.map { ($0 + microsPerMinute - 1) / microsPerMinute })
    }

    static func split(first: Int64, end: Int64, tiers: ArraySlice<RollupTier>) -> [RollupScan] {
        guard first < end, let coarsest = tiers.last else { return [] }
        guard tiers.count > 1 else { return [RollupScan(tier: coarsest, from: first / coarsest.minutes, to: end / coarsest.minutes)] }
        let finer = tiers.dropLast()
        let unit = coarsest.minutes
        let from = (first + unit - 1) / unit
        let to = end / unit
        guard from < to else { return split(first: first, end: end, tiers: finer) }
        return split(first: first, end: from * unit, tiers: finer) + [RollupScan(tier: coarsest, from: from, to: to)]
            + split(first: to * unit, end: end, tiers: finer)
    }

    /// The conditions of one scan: the query's filters a rollup keeps, and the scan's range.
    static func rollupConditions(_ query: EventQuery, _ scan: RollupScan) -> SQLQueryString {
        var conditions = scan.tier.fleetWide ? [] : ownerConditions(query)
        if !query.verdicts.isEmpty && !scan.tier.fleetWide { conditions.append("verdict IN (\(binds: query.verdicts))") }
        if !query.kinds.isEmpty { conditions.append("kind IN (\(binds: query.kinds))") }
        if let from = scan.from { conditions.append("\(unsafeRaw: scan.tier.time) >= \(bind: from)") }
        if let to = scan.to { conditions.append("\(unsafeRaw: scan.tier.time) < \(bind: to)") }
        return whereClause(conditions)
    }

    /// The conditions on the nodes and executable of a query, as the events and the rollups
    /// that keep them name their columns.
    static func ownerConditions(_ query: EventQuery) -> [SQLQueryString] {
        var conditions: [SQLQueryString] = []
        if let nodes = query.nodeIDs {
            conditions.append(nodes.isEmpty ? "1 = 0" : "node_id IN (\(binds: nodes))")
        }
        if let exe = query.executable { conditions.append("exe = \(bind: exe)") }
        return conditions
    }

    /// Refuses a report whose scans would read more than `budget` rows: each scan counted up to
    /// the budget (an index walk without the report's aggregation), before any is aggregated.
    static func checkBudget(_ sql: any SQLDatabase, scans: [(table: String, conditions: SQLQueryString)], budget: Int) async throws {
        guard budget < .max else { return }
        var rows = 0
        for scan in scans {
            let counted = try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM \(unsafeRaw: scan.table) \(scan.conditions)
                LIMIT \(unsafeRaw: String(budget - rows + 1))) AS budgeted
                """
            ).first()
            rows += Int(try counted?.int64("n") ?? 0)
            if rows > budget { throw ReportTooCostly(budget: budget) }
        }
    }
}
