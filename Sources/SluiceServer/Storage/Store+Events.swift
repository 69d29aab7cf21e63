import Foundation
import PostgresNIO
import SQLKit
import SQLiteNIO
import SluiceAPI
import SluiceCore

/// One event ready for its row: the filterable fields and the line.
struct EventRow: Sendable {
    var timeUs: Int64
    var exe: String?
    var cgroup: String?
    var destinationKey: String
    /// `DomainFilter.normalized`, as filters compare it.
    var domain: String?
    var port: Int64
    var transport: String
    var verdict: String
    var enforced: Bool
    var policy: String?
    var rule: String
    var score: Double?
    var anomaly: Bool
    var line: String
    var kind: String
    /// What a flow record added since its connection's previous record (`FlowDeltas`).
    var bytesSent: Int64 = 0
    var bytesReceived: Int64 = 0

    init(event: DecisionEvent, line: String, added: FlowTotals.Counts? = nil) {
        timeUs = event.timeNanoseconds / 1000
        exe = event.exe
        cgroup = event.cgroup
        destinationKey = AddressKey.key(event.destination)
        domain = event.dstDomain.map(DomainFilter.normalized)
        port = Int64(event.port)
        transport = event.transport
        verdict = event.verdict.verdictName
        enforced = event.enforced
        policy = event.policy
        rule = event.rule
        score = event.score?.value
        anomaly = event.score?.isAnomaly ?? false
        self.line = line
        kind = event.kind.rawValue
        if let added {
            bytesSent = Int64(clamping: added.bytesSent)
            bytesReceived = Int64(clamping: added.bytesReceived)
        }
    }

    static let columns =
        "node_id, time_us, exe, cgroup, dst_key, dst_domain, dst_port, protocol, verdict, enforced, policy, rule, score, anomaly, line, kind, bytes_sent, bytes_received"
    static let columnCount = 18
}

/// Addresses as fixed-width text that sorts like the numbers: `4` and 8 hex digits for IPv4,
/// `6` and 32 for IPv6. A CIDR block is then a range of keys.
enum AddressKey {
    static func key(_ address: IPAddress) -> String {
        address.family == .ipv4 ? "4" + hex(address.low & 0xffff_ffff, digits: 8) : "6" + hex(address.high, digits: 16) + hex(address.low, digits: 16)
    }

    /// The keys of the first and last address of the block.
    static func range(_ prefix: IPPrefix) -> (low: String, high: String) {
        let first = prefix.address.masked(to: prefix.length)
        let width = prefix.family.bitWidth
        let hostBits = width - prefix.length
        let last: IPAddress
        if prefix.family == .ipv4 {
            let mask: UInt64 = hostBits == 0 ? 0 : (UInt64(1) << hostBits) - 1
            last = IPAddress(family: .ipv4, low: first.low | mask)
        } else {
            let lowMask: UInt64 = hostBits >= 64 ? .max : (hostBits == 0 ? 0 : (UInt64(1) << hostBits) - 1)
            let highMask: UInt64 = hostBits <= 64 ? 0 : (hostBits == 128 ? .max : (UInt64(1) << (hostBits - 64)) - 1)
            last = IPAddress(family: .ipv6, high: first.high | highMask, low: first.low | lowMask)
        }
        return (key(first), key(last))
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: digits - text.count) + text
    }
}

/// An event query: newest first (by arrival), every filter optional.
struct EventQuery: Sendable {
    var sinceUs: Int64?
    var untilUs: Int64?
    var nodeIDs: [String]?
    var executable: String?
    var destination: (low: String, high: String)?
    var domain: DomainFilter?
    var port: Int64?
    var verdicts: [String] = []
    /// `decision`, `flow`, or (empty) both.
    var kinds: [String] = []
    var policy: String?
    var cursor: Int64?
    var limit: Int = 100
}

extension Store {
    struct BatchResult: Sendable {
        var stored: Int
        var duplicate: Bool
        var alerts: [Components.Schemas.AlertInfo]
    }

    /// Stores a batch once per (node, sequence), with the alerts it raises, in one transaction;
    /// its counts then join the rollup backlog.
    func storeEventBatch(
        nodeID: String, sequence: Int64, rows: [EventRow], alerts: [AlertCandidate], aggregationUs: Int64
    ) async throws -> BatchResult {
        let delta = RollupDelta(node: nodeID, rows: rows)
        // Built before the transaction: SQLite's one writer waits only for SQLite.
        let inserts = kind == .sqlite ? Self.sqliteInserts(nodeID: nodeID, rows: rows) : []
        let result = try await database.transaction { session in
            let now = Micros.now()
            let fresh = try await session.sql.raw(
                """
                INSERT INTO event_batches (node_id, sequence, events, received_us, rolled_up) VALUES (\(bind: nodeID), \(bind: sequence),
                \(bind: Int64(rows.count)), \(bind: now), FALSE) ON CONFLICT DO NOTHING RETURNING sequence
                """
            ).first()
            guard fresh != nil else { return BatchResult(stored: 0, duplicate: true, alerts: []) }
            let ids: ClosedRange<Int64>?
            switch session.connection {
            case .sqlite(let connection): ids = try await Self.insertSQLite(connection, inserts, rows: rows.count)
            case .postgres(let connection):
                ids = try await Self.copyPostgres(connection, nodeID: nodeID, rows: rows, logger: self.database.logger)
                if let ids { try await self.notify(session, .events(nodeID: nodeID, firstID: ids.lowerBound, lastID: ids.upperBound)) }
            }
            // What a recovery reads the batch's events back by, should this process stop before
            // its rollups are flushed.
            if let ids {
                try await session.sql.raw(
                    """
                    UPDATE event_batches SET first_id = \(bind: ids.lowerBound), last_id = \(bind: ids.upperBound)
                    WHERE node_id = \(bind: nodeID) AND sequence = \(bind: sequence)
                    """
                ).run()
            }
            var raised: [Components.Schemas.AlertInfo] = []
            for candidate in alerts {
                if let alert = try await Self.raise(candidate, session: session, aggregationUs: aggregationUs) { raised.append(alert) }
            }
            return BatchResult(stored: rows.count, duplicate: false, alerts: raised)
        }
        if !result.duplicate { await backlogStored(RollupBacklog.Batch(node: nodeID, sequence: sequence), delta) }
        return result
    }

    private static let sqliteRowsPerStatement = 500
    private static let sqlitePlaceholders = "(" + Array(repeating: "?", count: EventRow.columnCount).joined(separator: ",") + ")"

    /// The multi-row INSERTs of a batch's rows on SQLite, with their parameters.
    private static func sqliteInserts(nodeID: String, rows: [EventRow]) -> [(sql: String, binds: [SQLiteData])] {
        let node = SQLiteData.text(nodeID)
        var statements: [(sql: String, binds: [SQLiteData])] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + sqliteRowsPerStatement)]
            var sql = "INSERT INTO events (\(EventRow.columns)) VALUES "
            sql.reserveCapacity(40 + chunk.count * 34)
            var binds: [SQLiteData] = []
            binds.reserveCapacity(chunk.count * EventRow.columnCount)
            for (index, row) in chunk.enumerated() {
                sql += index == 0 ? sqlitePlaceholders : "," + sqlitePlaceholders
                binds.append(node)
                binds.append(.integer(Int(row.timeUs)))
                binds.append(row.exe.map { .text($0) } ?? .null)
                binds.append(row.cgroup.map { .text($0) } ?? .null)
                binds.append(.text(row.destinationKey))
                binds.append(row.domain.map { .text($0) } ?? .null)
                binds.append(.integer(Int(row.port)))
                binds.append(.text(row.transport))
                binds.append(.text(row.verdict))
                binds.append(.integer(row.enforced ? 1 : 0))
                binds.append(row.policy.map { .text($0) } ?? .null)
                binds.append(.text(row.rule))
                binds.append(row.score.map { .float($0) } ?? .null)
                binds.append(.integer(row.anomaly ? 1 : 0))
                binds.append(.text(row.line))
                binds.append(.text(row.kind))
                binds.append(.integer(Int(row.bytesSent)))
                binds.append(.integer(Int(row.bytesReceived)))
            }
            statements.append((sql, binds))
            start += chunk.count
        }
        return statements
    }

    /// Runs a batch's inserts; returns the ids its `rows` rows were given (consecutive: SQLite
    /// has one writer).
    private static func insertSQLite(_ connection: SQLiteConnection, _ inserts: [(sql: String, binds: [SQLiteData])], rows: Int) async throws
        -> ClosedRange<Int64>?
    {
        for insert in inserts { try await connection.query(insert.sql, insert.binds) { _ in } }
        guard rows > 0 else { return nil }
        let last = Int64(try await connection.query("SELECT last_insert_rowid() AS id", []).first?.column("id")?.integer ?? 0)
        return (last - Int64(rows) + 1)...last
    }

    /// Lines newest first, and the cursor of the next page when there may be one.
    func events(_ query: EventQuery) async throws -> (lines: [String], nextCursor: Int64?) {
        try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT id, line FROM events \(Store.eventConditions(query)) ORDER BY id DESC LIMIT \(unsafeRaw: String(query.limit + 1))"
            ).all()
            var lines: [String] = []
            lines.reserveCapacity(min(rows.count, query.limit))
            var lastID: Int64?
            for row in rows.prefix(query.limit) {
                lines.append(try row.string("line"))
                lastID = try row.int64("id")
            }
            return (lines, rows.count > query.limit ? lastID : nil)
        }
    }

    static func eventConditions(_ query: EventQuery) -> SQLQueryString {
        var conditions: [SQLQueryString] = []
        if let since = query.sinceUs { conditions.append("time_us >= \(bind: since)") }
        if let until = query.untilUs { conditions.append("time_us < \(bind: until)") }
        conditions += ownerConditions(query)
        if let range = query.destination { conditions.append("dst_key BETWEEN \(bind: range.low) AND \(bind: range.high)") }
        if let domain = query.domain {
            if domain.isWildcard {
                // `_%`: at least one character before the dot, as `DomainFilter.matches` wants.
                conditions.append("dst_domain LIKE \(bind: "_%." + likeLiteral(domain.name)) ESCAPE '\\'")
            } else {
                conditions.append("dst_domain = \(bind: domain.name)")
            }
        }
        if let port = query.port { conditions.append("dst_port = \(bind: port)") }
        if !query.verdicts.isEmpty { conditions.append("verdict IN (\(binds: query.verdicts))") }
        if !query.kinds.isEmpty { conditions.append("kind IN (\(binds: query.kinds))") }
        if let policy = query.policy { conditions.append("policy = \(bind: policy)") }
        if let cursor = query.cursor { conditions.append("id < \(bind: cursor)") }
        return whereClause(conditions)
    }

    /// Text that LIKE reads as itself: names may hold `_` (`_dmarc`) and, from DNS, any byte.
    static func likeLiteral(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// Deletes events, batch records and alerts older than the retention, a slice at a time so
    /// ingest never waits long for the writer; on PostgreSQL the days wholly past it go first,
    /// their partitions dropped. Returns the events deleted (not counting dropped partitions).
    func deleteExpired(eventsBeforeUs: Int64, alertsBeforeUs: Int64) async throws -> Int {
        await flushWaitingRollups()
        let dropped = try await dropExpiredPartitions(beforeUs: eventsBeforeUs)
        if !dropped.isEmpty {
            database.logger.info("dropped expired event partitions", metadata: ["events.partitions": "\(dropped.joined(separator: ","))"])
        }
        var total = 0
        while true {
            let deleted = try await database.transaction { session in
                // `time_us` on the outer DELETE too: PostgreSQL then looks in the old partitions only.
                try await session.sql.raw(
                    """
                    DELETE FROM events WHERE time_us < \(bind: eventsBeforeUs)
                    AND id IN (SELECT id FROM events WHERE time_us < \(bind: eventsBeforeUs) LIMIT 20000) RETURNING id
                    """
                ).all().count
            }
            total += deleted
            if deleted < 20000 { break }
            await Task.yield()
        }
        try await database.transaction { session in
            try await session.sql.raw("DELETE FROM event_batches WHERE received_us < \(bind: eventsBeforeUs)").run()
            try await Self.deleteExpiredRollups(session, beforeUs: eventsBeforeUs)
            try await session.sql.raw("DELETE FROM alerts WHERE last_us < \(bind: alertsBeforeUs)").run()
        }
        return total
    }

    func eventCount() async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM events").first().map { Int(try $0.int64("n")) } ?? 0
        }
    }
}
