import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

/// Aggregates of stored events for the console's charts and reports: GROUP BY over the rollups
/// (Store+Rollups.swift), each part of the range from the coarsest tier that answers it exactly
/// (Store+RollupTiers.swift), over the events only where no rollup can; integer division
/// truncates alike in SQLite and PostgreSQL. A report that would read more than `budget` stored
/// rows is refused (`ReportTooCostly`) before it is computed.
extension Store {
    /// Events per bucket and verdict, oldest bucket first; only buckets that hold events. With
    /// `bytes`, the flow records instead, with the bytes they moved. Read from the rollups
    /// (ranges widened to whole minutes) when the filters and bucket allow.
    func timeline(_ query: EventQuery, bucketSeconds: Int, bytes: Bool = false, budget: Int = .max) async throws -> [Components.Schemas.VerdictCounts] {
        await flushWaitingRollups()
        var kindOnly = query
        kindOnly.kinds = [bytes ? EventKind.flow.rawValue : EventKind.decision.rawValue]
        let query = kindOnly
        let bucketUs = Int64(bucketSeconds) * 1_000_000
        let bucketMinutes = Int64(bucketSeconds / 60)
        let sums = "CAST(SUM(bytes_sent) AS BIGINT) AS sent, CAST(SUM(bytes_received) AS BIGINT) AS received"
        let scanned: [(table: String, conditions: SQLQueryString)]
        let statement: SQLQueryString
        if Store.rollupsAnswer(query) && bucketSeconds % 60 == 0 {
            // A tier answers a bucket only when its rows fit whole in one.
            let tiers = Store.usableTiers([.applicationMinutes, .applicationHours], for: query).filter { bucketMinutes % $0.minutes == 0 }
            let scans = Store.rollupScans(query, tiers: tiers).map { ($0.tier, Store.rollupConditions(query, $0)) }
            let rows = scans.map { tier, conditions -> SQLQueryString in
                """
                SELECT \(unsafeRaw: tier.time) * \(unsafeRaw: String(tier.minutes)) AS minute, verdict, n, bytes_sent, bytes_received
                FROM \(unsafeRaw: tier.table) \(conditions)
                """
            }
            scanned = scans.map { ($0.table, $1) }
            statement = """
                SELECT minute / \(unsafeRaw: String(bucketMinutes)) AS bucket, verdict, CAST(SUM(n) AS BIGINT) AS n, \(unsafeRaw: sums)
                FROM (\(rows.joined(separator: " UNION ALL "))) AS r
                GROUP BY minute / \(unsafeRaw: String(bucketMinutes)), verdict ORDER BY bucket
                """
        } else {
            scanned = [("events", Store.eventConditions(query))]
            statement = """
                SELECT time_us / \(unsafeRaw: String(bucketUs)) AS bucket, verdict, COUNT(*) AS n, \(unsafeRaw: sums) FROM events \(Store.eventConditions(query))
                GROUP BY time_us / \(unsafeRaw: String(bucketUs)), verdict ORDER BY bucket
                """
        }
        return try await database.readReport { sql in
            try await Store.checkBudget(sql, scans: scanned, budget: budget)
            let rows = try await sql.raw(statement).all()
            var buckets: [Int64: Components.Schemas.VerdictCounts] = [:]
            for row in rows {
                let bucket = try row.int64("bucket")
                let count = Int(try row.int64("n"))
                var counts = buckets[bucket] ?? .init(time: Micros.date(bucket * bucketUs), allow: 0, alert: 0, deny: 0, rateLimited: 0, redirected: 0, quota: 0)
                switch try row.string("verdict") {
                case RuleAction.deny.rawValue: counts.deny += count
                case RuleAction.alert.rawValue: counts.alert += count
                case RuleAction.rateLimit.verdictName: counts.rateLimited = (counts.rateLimited ?? 0) + count
                case RuleAction.redirect.verdictName: counts.redirected = (counts.redirected ?? 0) + count
                case RuleAction.quota.verdictName: counts.quota = (counts.quota ?? 0) + count
                default: counts.allow += count
                }
                if bytes {
                    counts.bytesSent = (counts.bytesSent ?? 0) + Int(try row.optionalInt64("sent") ?? 0)
                    counts.bytesReceived = (counts.bytesReceived ?? 0) + Int(try row.optionalInt64("received") ?? 0)
                }
                buckets[bucket] = counts
            }
            return buckets.keys.sorted().compactMap { buckets[$0] }
        }
    }

    enum TopDimension: String, CaseIterable {
        case exe, dst, domain
    }

    /// The busiest executables, destinations (`ip:port`) or looked-up names, with their denies
    /// and alerts; or with `bytes`, the heaviest by the traffic of their flow records. From the
    /// rollups, the range widened to whole minutes.
    func top(_ query: EventQuery, by dimension: TopDimension, bytes: Bool = false, limit: Int, budget: Int = .max) async throws
        -> [Components.Schemas.StatsTopEntry]
    {
        await flushWaitingRollups()
        var kindOnly = query
        kindOnly.kinds = [bytes ? EventKind.flow.rawValue : EventKind.decision.rawValue]
        let query = kindOnly
        let keys =
            switch dimension {
            case .exe: "exe"
            case .dst: "dst_key, dst_port"
            case .domain: "dst_domain"
            }
        precondition(Store.rollupsAnswer(query), "the stats operations filter only by what a rollup keeps")
        let tiers = Store.usableTiers(
            dimension == .exe ? [.applicationMinutes, .applicationHours] : [.destinationMinutes, .destinationHours, .destinationDays], for: query)
        return try await database.readReport { sql in
            let widened = try await Store.widenedOverEmptyEdges(sql, query, tiers: tiers)
            let scans = Store.rollupScans(widened, tiers: tiers, subtracting: true).map { ($0, Store.rollupConditions(query, $0)) }
            // Each part summed on its own first: the fleet's daily tier groups in its key order.
            let parts = scans.map { scan, conditions -> SQLQueryString in
                let tier = scan.tier
                let sign = scan.sign < 0 ? "-" : ""
                let verdictCounts =
                    tier.fleetWide
                    ? "\(sign)SUM(denies) AS denies, \(sign)SUM(alerts) AS alerts"
                    : "\(sign)SUM(CASE WHEN verdict = 'deny' THEN n ELSE 0 END) AS denies, \(sign)SUM(CASE WHEN verdict = 'alert' THEN n ELSE 0 END) AS alerts"
                let last =
                    scan.sign < 0
                    ? "CAST(NULL AS BIGINT)" : scan.lastFromUs.map { "MAX(CASE WHEN last_us >= \($0) THEN last_us END)" } ?? "MAX(last_us)"
                return """
                    SELECT \(unsafeRaw: keys), \(unsafeRaw: sign)SUM(n) AS n, \(unsafeRaw: verdictCounts), \(unsafeRaw: sign)SUM(bytes_sent) AS sent,
                    \(unsafeRaw: sign)SUM(bytes_received) AS received, \(unsafeRaw: last) AS last_us FROM \(unsafeRaw: tier.table) \(conditions)
                    GROUP BY \(unsafeRaw: keys)
                    """
            }
            try await Store.checkBudget(sql, scans: scans.map { ($0.tier.table, $1) }, budget: budget)
            // A key seen only in a part taken away sums to nothing.
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: keys), CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(denies) AS BIGINT) AS denies, CAST(SUM(alerts) AS BIGINT) AS alerts,
                MAX(last_us) AS last_us, CAST(SUM(sent) AS BIGINT) AS sent, CAST(SUM(received) AS BIGINT) AS received
                FROM (\(parts.joined(separator: " UNION ALL "))) AS r
                GROUP BY \(unsafeRaw: keys) HAVING SUM(n) > 0
                ORDER BY \(unsafeRaw: bytes ? "SUM(sent) + SUM(received)" : "n") DESC LIMIT \(unsafeRaw: String(limit))
                """
            ).all()
            return try rows.map { row in
                let key: String
                switch dimension {
                case .exe:
                    // Events of processes whose executable was not known (a kernel thread, an exited process).
                    key = (try row.optionalString("exe")).flatMap { $0.isEmpty ? nil : $0 } ?? "(unknown)"
                case .dst:
                    let address = AddressKey.address(try row.string("dst_key")).map { $0.family == .ipv6 ? "[\($0)]" : "\($0)" } ?? "?"
                    key = "\(address):\(try row.int64("dst_port"))"
                case .domain:
                    // Connections to addresses no lookup named (or stored before names were).
                    key = (try row.optionalString("dst_domain")).flatMap { $0.isEmpty ? nil : $0 } ?? "(no name)"
                }
                return Components.Schemas.StatsTopEntry(
                    key: key, total: Int(try row.int64("n")), denies: Int(try row.optionalInt64("denies") ?? 0),
                    alerts: Int(try row.optionalInt64("alerts") ?? 0), lastSeen: Micros.date(try row.int64("last_us")),
                    bytesSent: bytes ? Int(try row.optionalInt64("sent") ?? 0) : nil,
                    bytesReceived: bytes ? Int(try row.optionalInt64("received") ?? 0) : nil)
            }
        }
    }

    /// Per UTC day from `sinceUs`, the destinations (address and port) first contacted that day by
    /// the given nodes, among contacts before `untilUs` (from each node's first contacts).
    func newDestinations(sinceUs: Int64, untilUs: Int64, nodeIDs: [String]?, budget: Int = .max) async throws -> [Components.Schemas.NewDestinationsDay] {
        await flushWaitingRollups()
        let dayUs: Int64 = 86_400_000_000
        var conditions: [SQLQueryString] = ["first_us < \(bind: untilUs)"]
        if let nodeIDs { conditions.append(nodeIDs.isEmpty ? "1 = 0" : "node_id IN (\(binds: nodeIDs))") }
        let filter = Store.whereClause(conditions)
        return try await database.readReport { sql in
            try await Store.checkBudget(sql, scans: [("destination_first_seen", filter)], budget: budget)
            let rows = try await sql.raw(
                """
                SELECT first_day, COUNT(*) AS n FROM (SELECT MIN(first_us) / \(unsafeRaw: String(dayUs)) AS first_day FROM destination_first_seen
                \(filter) GROUP BY dst_key, dst_port) AS firsts
                WHERE first_day >= \(bind: sinceUs / dayUs) GROUP BY first_day ORDER BY first_day
                """
            ).all()
            return try rows.map { Components.Schemas.NewDestinationsDay(day: Micros.date(try $0.int64("first_day") * dayUs), count: Int(try $0.int64("n"))) }
        }
    }
}

extension AddressKey {
    /// The address a key stands for (the inverse of `key(_:)`).
    static func address(_ key: String) -> IPAddress? {
        let digits = key.dropFirst()
        switch key.first {
        case "4":
            guard digits.count == 8, let low = UInt64(digits, radix: 16) else { return nil }
            return IPAddress(family: .ipv4, low: low)
        case "6":
            guard digits.count == 32, let high = UInt64(digits.prefix(16), radix: 16), let low = UInt64(digits.suffix(16), radix: 16) else { return nil }
            return IPAddress(family: .ipv6, high: high, low: low)
        default:
            return nil
        }
    }
}
