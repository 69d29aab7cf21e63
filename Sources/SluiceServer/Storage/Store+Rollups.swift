import SQLKit
import SluiceCore

// Reports and charts read rollups, never the events. Per minute and node: the events of one
// application with one verdict (`app_rollups`: timelines and top applications, a handful of rows a
// minute whatever the traffic), the same per destination (`event_rollups`: top destinations and
// names, as small as the traffic repeats), both again per hour (`*_hourly`), per day and
// destination for the whole fleet (`destination_rollups_daily`: a row per destination a day however
// rarely it repeats within an hour), and each node's first contact with each destination. A report
// reads the coarsest tier that answers it exactly (Store+RollupTiers.swift), so a month's report
// reads rollup rows, not every event.
//
// Folded after the batch's transaction, not in it (RollupBacklog.swift): a batch's transaction
// stores its events and alerts, and its counts join the backlog, which one writer adds to the
// tiers every half second, summed over every batch since. In the transaction they were most of
// ingest's cost (an upsert per distinct key and tier of each batch, and concurrent batches waiting
// on the rows they share); summed over many batches they are a few upserts per key a flush.

/// One rollup row's key: what the stats group and filter by.
struct RollupKey: Hashable, Sendable {
    var minute: Int64
    var node: String
    var kind: String
    /// "" for events without a known executable.
    var exe: String
    var destinationKey: String
    var port: Int64
    /// "" for connections no lookup named.
    var domain: String
    var verdict: String
}

/// What one rollup row counts.
struct RollupCounts: Sendable {
    var events: Int64 = 0
    var bytesSent: Int64 = 0
    var bytesReceived: Int64 = 0
    var lastUs: Int64 = .min
    /// Of `events`, the denies and alerts (the daily tier keeps no verdict).
    var denies: Int64 = 0
    var alerts: Int64 = 0
}

/// A key of the fleet's daily destination tier.
struct DestinationDayKey: Hashable, Sendable {
    var kind: String
    var destinationKey: String
    var port: Int64
    var domain: String
    var day: Int64
}

extension Store {
    static let microsPerMinute: Int64 = 60_000_000
    static let minutesPerDay: Int64 = 1440

    /// Drops rollups of minutes before the event retention, as the events themselves go.
    static func deleteExpiredRollups(_ session: ServerDatabase.Session, beforeUs: Int64) async throws {
        try await session.sql.raw("DELETE FROM event_rollups WHERE minute < \(bind: beforeUs / microsPerMinute)").run()
        try await session.sql.raw("DELETE FROM app_rollups WHERE minute < \(bind: beforeUs / microsPerMinute)").run()
        // An hour goes once all of it is past the retention.
        try await session.sql.raw("DELETE FROM event_rollups_hourly WHERE hour < \(bind: beforeUs / microsPerMinute / 60)").run()
        try await session.sql.raw("DELETE FROM app_rollups_hourly WHERE hour < \(bind: beforeUs / microsPerMinute / 60)").run()
        try await session.sql.raw("DELETE FROM destination_rollups_daily WHERE day < \(bind: beforeUs / microsPerMinute / minutesPerDay)").run()
    }
}

extension RollupKey {
    /// The key of the hourly tables: `minute` holds the hour.
    var hour: RollupKey {
        RollupKey(minute: minute / 60, node: node, kind: kind, exe: exe, destinationKey: destinationKey, port: port, domain: domain, verdict: verdict)
    }

    /// The key of the fleet's daily destination tier.
    var day: DestinationDayKey {
        DestinationDayKey(kind: kind, destinationKey: destinationKey, port: port, domain: domain, day: minute / Store.minutesPerDay)
    }

    /// The key of `app_rollups`: this one without the destination.
    var application: RollupKey {
        RollupKey(minute: minute, node: node, kind: kind, exe: exe, destinationKey: "", port: 0, domain: "", verdict: verdict)
    }
}

/// A destination of one node, as the first-contact table keys it.
struct AddressPort: Hashable, Sendable {
    var node: String
    var key: String
    var port: Int64
}

extension RollupCounts {
    mutating func add(verdict: String, bytesSent: Int64, bytesReceived: Int64, timeUs: Int64) {
        events += 1
        if verdict == RuleAction.deny.rawValue { denies += 1 }
        if verdict == RuleAction.alert.rawValue { alerts += 1 }
        self.bytesSent += bytesSent
        self.bytesReceived += bytesReceived
        lastUs = max(lastUs, timeUs)
    }

    mutating func add(_ other: RollupCounts) {
        events += other.events
        denies += other.denies
        alerts += other.alerts
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        lastUs = max(lastUs, other.lastUs)
    }
}
