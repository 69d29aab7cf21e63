import Foundation
import SQLKit
import SluiceCore

/// The ragged ends of a report's range, read from as few fine rows as give the same answer. A
/// month's report from now reads up to two days of hourly rows at its ends, where the hourly tier
/// has about one row per event on a fleet whose destinations barely repeat: those were most of a
/// top-destinations report's time at 10 M stored events.
extension Store {
    /// `query`'s range grown outward to the coarsest tier's row boundary at each end where the
    /// finest tier (which every event reaches) holds no row of the query in between: the same
    /// answer, from coarser rows. A report up to now reads today's row whole, its later hours
    /// being empty. A range inside one row keeps its end unless its start grows too: a start
    /// with rows before it would otherwise be read as that whole row less them
    /// (`complementedStart`), all of the row's keys for a few minutes' worth.
    static func widenedOverEmptyEdges(_ sql: any SQLDatabase, _ query: EventQuery, tiers: [RollupTier]) async throws -> EventQuery {
        let (first, end) = minuteRange(query)
        guard tiers.count > 1, let finest = tiers.first, let coarsest = tiers.last, let first, let end else { return query }
        let unit = coarsest.minutes
        var widened = query
        let rowStart = first / unit * unit
        var startsOnARow = rowStart == first
        if !startsOnARow, try await holdsNothing(sql, query, finest, fromMinute: rowStart, toMinute: first) {
            widened.sinceUs = rowStart * microsPerMinute
            startsOnARow = true
        }
        let rowEnd = (end + unit - 1) / unit * unit
        let oneRow = rowEnd - rowStart <= unit
        if end < rowEnd, startsOnARow || !oneRow, try await holdsNothing(sql, query, finest, fromMinute: end, toMinute: rowEnd) {
            widened.untilUs = rowEnd * microsPerMinute
        }
        return widened
    }

    /// Whether `tier` holds no row of `query`'s filters in [from, to) (minutes): one index probe.
    private static func holdsNothing(_ sql: any SQLDatabase, _ query: EventQuery, _ tier: RollupTier, fromMinute: Int64, toMinute: Int64) async throws
        -> Bool
    {
        let scan = RollupScan(tier: tier, from: fromMinute / tier.minutes, to: toMinute / tier.minutes)
        return try await sql.raw("SELECT 1 AS one FROM \(unsafeRaw: tier.table) \(rollupConditions(query, scan)) LIMIT 1").first() == nil
    }

    /// A range that starts in the first half of a coarsest row, and runs past that row's end, as
    /// that row whole less its part before the range: at most half a row of finer rows instead of
    /// up to all of one. The whole row's `last_us` counts only from the range's start (a row whose
    /// last event came before it has nothing left in the range); the part taken away has none.
    /// Only the range's start: at its end, a row's `last_us` may lie past the range. The daily
    /// row of a key holds no more than its hourly rows that day, and usually far fewer; where
    /// none repeat, this reads up to twice the part before the range more than the plain split
    /// would. Nil where the plain split reads no more.
    static func complementedStart(first: Int64, end: Int64, tiers: [RollupTier]) -> [RollupScan]? {
        guard tiers.count > 1, let coarsest = tiers.last, first >= 0 else { return nil }
        let unit = coarsest.minutes
        let rowStart = first / unit * unit
        let rowEnd = rowStart + unit
        guard rowStart < first, rowEnd <= end, first - rowStart < rowEnd - first else { return nil }
        let whole = RollupScan(tier: coarsest, from: rowStart / unit, to: rowEnd / unit, lastFromUs: first * microsPerMinute)
        let before = split(first: rowStart, end: first, tiers: tiers.dropLast()[...]).map { scan in
            var taken = scan
            taken.sign = -1
            return taken
        }
        return [whole] + before + split(first: rowEnd, end: end, tiers: tiers[...])
    }
}
