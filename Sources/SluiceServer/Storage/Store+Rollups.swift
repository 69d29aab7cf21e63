import Foundation
import Logging
import PostgresNIO
import SQLKit
import SQLiteNIO
import SluiceCore

// Reports and charts read rollups, never the events. In the transaction that stores a batch,
// per minute and node: the events of one application with one verdict (`app_rollups`: timelines
// and top applications, a handful of rows a minute whatever the traffic), the same per destination
// (`event_rollups`: top destinations and names, as small as the traffic repeats), both again per
// hour (`*_hourly`), per day and destination for the whole fleet (`destination_rollups_daily`:
// a row per destination a day however rarely it repeats within an hour), and each node's first
// contact with each destination. A report reads the coarsest tier that answers it exactly
// (Store+RollupTiers.swift), so a month's report reads rollup rows, not every event.
//
// Kept in the batch's transaction rather than by a background pass over finished hours: a report
// is exact the moment a batch is acknowledged, late and replayed batches need no bookkeeping, and
// the cost is one upsert per distinct key and tier of a batch, on the writer that holds the batch
// anyway.

/// One rollup row's key: what the stats group and filter by.
struct RollupKey: Hashable, Sendable {
    var minute: Int64
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

/// A key of the fleet's daily destination tier, ordered as its primary key.
struct DestinationDayKey: Hashable, Comparable, Sendable {
    var kind: String
    var destinationKey: String
    var port: Int64
    var domain: String
    var day: Int64

    static func < (a: Self, b: Self) -> Bool {
        (a.kind, a.destinationKey, a.port, a.domain, a.day) < (b.kind, b.destinationKey, b.port, b.domain, b.day)
    }
}

extension Store {
    static let microsPerMinute: Int64 = 60_000_000
    static let minutesPerDay: Int64 = 1440
    /// Rows per upsert statement (SQLite's bound-parameter limit is 32,766; 11 per row).
    private static let rollupRowsPerStatement = 500

    /// Adds a batch's events to the rollups, inside the batch's transaction.
    static func rollUp(_ session: ServerDatabase.Session, nodeID: String, rows: [EventRow]) async throws {
        var counts: [RollupKey: RollupCounts] = [:]
        var perApplication: [RollupKey: RollupCounts] = [:]
        var hourly: [RollupKey: RollupCounts] = [:]
        var hourlyPerApplication: [RollupKey: RollupCounts] = [:]
        var daily: [DestinationDayKey: RollupCounts] = [:]
        var firstSeen: [AddressPort: Int64] = [:]
        for row in rows {
            let key = RollupKey(
                minute: row.timeUs / microsPerMinute, kind: row.kind, exe: row.exe ?? "", destinationKey: row.destinationKey,
                port: row.port, domain: row.domain ?? "", verdict: row.verdict)
            counts[key, default: RollupCounts()].add(row)
            perApplication[key.application, default: RollupCounts()].add(row)
            hourly[key.hour, default: RollupCounts()].add(row)
            hourlyPerApplication[key.hour.application, default: RollupCounts()].add(row)
            daily[key.day, default: RollupCounts()].add(row)
            if row.kind == EventKind.decision.rawValue {
                let destination = AddressPort(key: row.destinationKey, port: row.port)
                firstSeen[destination] = min(firstSeen[destination] ?? .max, row.timeUs)
            }
        }
        // In key order: concurrent batches (PostgreSQL) lock the fleet-wide rows they share in one
        // order, so they wait for each other rather than deadlock.
        try await upsertCounts(
            session, into: "destination_rollups_daily", keys: ["kind", "dst_key", "dst_port", "dst_domain", "day"], verdictCounts: true,
            rows: daily.sorted { $0.key < $1.key }.map { key, count in
                ([.text(key.kind), .text(key.destinationKey), .int(Int64(key.port)), .text(key.domain), .int(key.day)], count)
            })
        if case .postgres(let connection) = session.connection {
            try await rollUpPostgres(
                connection, nodeID: nodeID, minutes: (counts, perApplication), hours: (hourly, hourlyPerApplication), firstSeen: firstSeen)
            return
        }
        for (time, destinations, applications) in [("minute", counts, perApplication), ("hour", hourly, hourlyPerApplication)] {
            let suffix = time == "hour" ? "_hourly" : ""
            try await upsertCounts(
                session, into: "event_rollups" + suffix, keys: [time, "node_id", "kind", "exe", "dst_key", "dst_port", "dst_domain", "verdict"],
                rows: destinations.map { key, count in
                    ([.int(key.minute), .text(nodeID), .text(key.kind), .text(key.exe), .text(key.destinationKey),
                      .int(Int64(key.port)), .text(key.domain), .text(key.verdict)], count)
                })
            try await upsertCounts(
                session, into: "app_rollups" + suffix, keys: [time, "node_id", "kind", "exe", "verdict"],
                rows: applications.map { key, count in
                    ([.int(key.minute), .text(nodeID), .text(key.kind), .text(key.exe), .text(key.verdict)], count)
                })
        }
        try await upsert(
            session, into: "destination_first_seen", keys: ["node_id", "dst_key", "dst_port"], values: ["first_us"],
            update: "first_us = MIN(destination_first_seen.first_us, excluded.first_us)",
            rows: firstSeen.map { destination, time in [.text(nodeID), .text(destination.key), .int(Int64(destination.port)), .int(time)] })
    }

    private static let rollupLogger = Logger(label: "sluice.server.rollups")

    /// PostgreSQL: one statement per table and batch, its rows as arrays that `unnest` turns back
    /// into rows (bound as five to eleven parameters however many rows).
    private static func rollUpPostgres(
        _ connection: PostgresConnection, nodeID: String, minutes: (destinations: [RollupKey: RollupCounts], applications: [RollupKey: RollupCounts]),
        hours: (destinations: [RollupKey: RollupCounts], applications: [RollupKey: RollupCounts]), firstSeen: [AddressPort: Int64]
    ) async throws {
        let logger = rollupLogger
        for (time, suffix, tables) in [("minute", "", minutes), ("hour", "_hourly", hours)] {
            for (table, destination, rows) in [("event_rollups", true, tables.destinations), ("app_rollups", false, tables.applications)] where !rows.isEmpty {
                let keys = [time, "node_id", "kind", "exe"] + (destination ? ["dst_key", "dst_port", "dst_domain"] : []) + ["verdict"]
                let sorted = rows.sorted { $0.key < $1.key }
                var binds = PostgresBindings(capacity: 12)
                binds.append(nodeID)
                binds.append(sorted.map(\.key.minute))
                binds.append(sorted.map(\.key.kind))
                binds.append(sorted.map(\.key.exe))
                if destination {
                    binds.append(sorted.map(\.key.destinationKey))
                    binds.append(sorted.map(\.key.port))
                    binds.append(sorted.map(\.key.domain))
                }
                binds.append(sorted.map(\.key.verdict))
                binds.append(sorted.map(\.value.events))
                binds.append(sorted.map(\.value.bytesSent))
                binds.append(sorted.map(\.value.bytesReceived))
                binds.append(sorted.map(\.value.lastUs))
                let types = keys.dropFirst(2).map { $0 == "dst_port" ? "BIGINT[]" : "TEXT[]" }
                let arrays = (["BIGINT[]"] + types + Array(repeating: "BIGINT[]", count: 4)).enumerated().map { "$\($0.offset + 2)::\($0.element)" }
                let name = table + suffix
                let sql = """
                    INSERT INTO \(name) (\(keys.joined(separator: ", ")), n, bytes_sent, bytes_received, last_us)
                    SELECT u.t, $1, \(keys.dropFirst(2).indices.map { "u.k\($0)" }.joined(separator: ", ")), u.n, u.s, u.r, u.l
                    FROM unnest(\(arrays.joined(separator: ", "))) AS u(t, \(keys.dropFirst(2).indices.map { "k\($0)" }.joined(separator: ", ")), n, s, r, l)
                    ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET
                    n = \(name).n + excluded.n, bytes_sent = \(name).bytes_sent + excluded.bytes_sent,
                    bytes_received = \(name).bytes_received + excluded.bytes_received, last_us = GREATEST(\(name).last_us, excluded.last_us)
                    """
                try await connection.run(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            }
        }
        guard !firstSeen.isEmpty else { return }
        let firsts = firstSeen.sorted { ($0.key.key, $0.key.port) < ($1.key.key, $1.key.port) }
        var binds = PostgresBindings(capacity: 4)
        binds.append(nodeID)
        binds.append(firsts.map(\.key.key))
        binds.append(firsts.map(\.key.port))
        binds.append(firsts.map(\.value))
        try await connection.run(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO destination_first_seen (node_id, dst_key, dst_port, first_us)
                    SELECT $1, u.k, u.p, u.f FROM unnest($2::TEXT[], $3::BIGINT[], $4::BIGINT[]) AS u(k, p, f)
                    ON CONFLICT (node_id, dst_key, dst_port) DO UPDATE SET first_us = LEAST(destination_first_seen.first_us, excluded.first_us)
                    """, binds: binds), logger: logger)
    }

    /// Adds counts to a rollup table: a row per key, summed into the row already there; with
    /// `verdictCounts`, the table counts denies and alerts in columns of their own.
    private static func upsertCounts(
        _ session: ServerDatabase.Session, into table: String, keys: [String], verdictCounts: Bool = false,
        rows: [(key: [RollupValue], counts: RollupCounts)]
    ) async throws {
        let greatest = session.kind == .postgres ? "GREATEST" : "MAX"
        let sums = ["n", "bytes_sent", "bytes_received"] + (verdictCounts ? ["denies", "alerts"] : [])
        let updates = sums.map { "\($0) = \(table).\($0) + excluded.\($0)" } + ["last_us = \(greatest)(\(table).last_us, excluded.last_us)"]
        try await upsert(
            session, into: table, keys: keys, values: sums + ["last_us"], update: updates.joined(separator: ", "),
            rows: rows.map { key, count in
                key + [.int(count.events), .int(count.bytesSent), .int(count.bytesReceived)]
                    + (verdictCounts ? [.int(count.denies), .int(count.alerts)] : []) + [.int(count.lastUs)]
            })
    }

    /// `INSERT … ON CONFLICT (keys) DO UPDATE SET update` of `rows` (each the keys' values, then
    /// the other columns'), `rollupRowsPerStatement` rows a statement. On SQLite the statement and
    /// its parameters go to the driver as they are: building them through SQLKit, a value at a
    /// time, was most of ingest's time.
    private static func upsert(
        _ session: ServerDatabase.Session, into table: String, keys: [String], values: [String], update: String, rows: [[RollupValue]]
    ) async throws {
        let columns = keys.count + values.count
        let head = "INSERT INTO \(table) (\((keys + values).joined(separator: ", "))) VALUES "
        let tail = " ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(update)"
        let placeholders = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        for start in stride(from: 0, to: rows.count, by: rollupRowsPerStatement) {
            let chunk = rows[start..<min(rows.count, start + rollupRowsPerStatement)]
            switch session.connection {
            case .sqlite(let connection):
                var sql = head
                sql.reserveCapacity(head.count + tail.count + chunk.count * (placeholders.count + 1))
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * columns)
                for (index, row) in chunk.enumerated() {
                    sql += index == 0 ? placeholders : "," + placeholders
                    for value in row { binds.append(value.sqlite) }
                }
                try await connection.query(sql + tail, binds) { _ in }
            case .postgres:
                let tuples = chunk.map { row -> SQLQueryString in "(" + row.map(\.bound).joined(separator: ", ") + ")" }
                try await session.sql.raw("\(unsafeRaw: head)\(tuples.joined(separator: ", "))\(unsafeRaw: tail)").run()
            }
        }
    }

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
        RollupKey(minute: minute / 60, kind: kind, exe: exe, destinationKey: destinationKey, port: port, domain: domain, verdict: verdict)
    }

    /// The key of the fleet's daily destination tier.
    var day: DestinationDayKey {
        DestinationDayKey(kind: kind, destinationKey: destinationKey, port: port, domain: domain, day: minute / Store.minutesPerDay)
    }

    /// The key of `app_rollups`: this one without the destination.
    var application: RollupKey {
        RollupKey(minute: minute, kind: kind, exe: exe, destinationKey: "", port: 0, domain: "", verdict: verdict)
    }
}

extension RollupKey: Comparable {
    /// Concurrent batches of one node lock the rows they share in the same order: no deadlock.
    static func < (a: RollupKey, b: RollupKey) -> Bool {
        (a.minute, a.kind, a.exe, a.destinationKey, a.port, a.domain) < (b.minute, b.kind, b.exe, b.destinationKey, b.port, b.domain)
            || ((a.minute, a.kind, a.exe, a.destinationKey, a.port, a.domain) == (b.minute, b.kind, b.exe, b.destinationKey, b.port, b.domain)
                && a.verdict < b.verdict)
    }
}

/// A destination as the first-contact table keys it.
struct AddressPort: Hashable, Sendable {
    var key: String
    var port: Int64
}

extension RollupCounts {
    mutating func add(_ row: EventRow) {
        events += 1
        if row.verdict == RuleAction.deny.rawValue { denies += 1 }
        if row.verdict == RuleAction.alert.rawValue { alerts += 1 }
        bytesSent += row.bytesSent
        bytesReceived += row.bytesReceived
        lastUs = max(lastUs, row.timeUs)
    }
}

/// A value of a rollup row, bound as a parameter on either store.
enum RollupValue {
    case int(Int64)
    case text(String)

    var sqlite: SQLiteData {
        switch self {
        case .int(let value): .integer(Int(value))
        case .text(let value): .text(value)
        }
    }

    var bound: SQLQueryString {
        switch self {
        case .int(let value): "\(bind: value)"
        case .text(let value): "\(bind: value)"
        }
    }
}
