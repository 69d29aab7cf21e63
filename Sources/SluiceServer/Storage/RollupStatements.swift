import Logging
import PostgresNIO
import SQLiteNIO

/// The statements that add a `RollupDelta` to every rollup tier, built before the transaction
/// that runs them: building them is Swift's work, and the writer (SQLite has one) should wait
/// only for the database's. On PostgreSQL one `INSERT … SELECT … FROM unnest(…)` per table, its
/// rows ordered by key in the statement, so concurrent writers (flushes, replicas) lock the rows
/// they share in one order and wait rather than deadlock; on SQLite multi-row `VALUES` lists.
struct RollupStatements: Sendable {
    enum Statement: Sendable {
        case sqlite(String, [SQLiteData])
        case postgres(PostgresQuery)
    }

    private(set) var statements: [Statement] = []

    /// Rows per SQLite statement (its bound-parameter limit is 32,766; at most 11 per row).
    private static let sqliteRowsPerStatement = 500
    private static let logger = Logger(label: "sluice.server.rollups")

    init(_ delta: RollupDelta, for kind: SQLKind) {
        let tiers = delta.tiers
        let days = Array(tiers.days)
        add(
            "destination_rollups_daily", kind: kind,
            keys: [
                .text("kind", days.map(\.key.kind)), .text("dst_key", days.map(\.key.destinationKey)), .int("dst_port", days.map(\.key.port)),
                .text("dst_domain", days.map(\.key.domain)), .int("day", days.map(\.key.day)),
            ],
            counts: days.map(\.value), verdictCounts: true)
        for (table, time, destination, rows) in [
            ("event_rollups", "minute", true, tiers.minutes), ("app_rollups", "minute", false, tiers.minuteApplications),
            ("event_rollups_hourly", "hour", true, tiers.hours), ("app_rollups_hourly", "hour", false, tiers.hourApplications),
        ] {
            let rows = Array(rows)
            var keys: [Column] = [
                .int(time, rows.map(\.key.minute)), .text("node_id", rows.map(\.key.node)), .text("kind", rows.map(\.key.kind)),
                .text("exe", rows.map(\.key.exe)),
            ]
            if destination {
                keys += [.text("dst_key", rows.map(\.key.destinationKey)), .int("dst_port", rows.map(\.key.port)), .text("dst_domain", rows.map(\.key.domain))]
            }
            keys.append(.text("verdict", rows.map(\.key.verdict)))
            add(table, kind: kind, keys: keys, counts: rows.map(\.value), verdictCounts: false)
        }
        let firsts = Array(delta.firstSeen)
        add(
            "destination_first_seen", kind: kind,
            keys: [.text("node_id", firsts.map(\.key.node)), .text("dst_key", firsts.map(\.key.key)), .int("dst_port", firsts.map(\.key.port))],
            values: [.int("first_us", firsts.map(\.value))],
            // Only an earlier contact changes the row: a known destination (nearly every one, once a
            // fleet has run a while) leaves no new row version behind.
            update: "first_us = excluded.first_us", where: "excluded.first_us < destination_first_seen.first_us")
    }

    /// Runs the statements in the caller's transaction.
    func run(_ session: ServerDatabase.Session) async throws {
        for statement in statements {
            switch (statement, session.connection) {
            case (.sqlite(let sql, let binds), .sqlite(let connection)): try await connection.query(sql, binds) { _ in }
            case (.postgres(let query), .postgres(let connection)): try await connection.run(query, logger: Self.logger)
            default: preconditionFailure("rollup statements built for the other database")
            }
        }
    }

    /// One column of the rows: its name and every row's value.
    private enum Column {
        case int(String, [Int64])
        case text(String, [String])

        var name: String {
            switch self {
            case .int(let name, _), .text(let name, _): name
            }
        }

        var count: Int {
            switch self {
            case .int(_, let values): values.count
            case .text(_, let values): values.count
            }
        }

        func sqlite(_ row: Int) -> SQLiteData {
            switch self {
            case .int(_, let values): .integer(Int(values[row]))
            case .text(_, let values): .text(values[row])
            }
        }
    }

    /// A rollup table's rows with their counts, each summed into the row already there.
    private mutating func add(_ table: String, kind: SQLKind, keys: [Column], counts: [RollupCounts], verdictCounts: Bool) {
        var values: [Column] = [.int("n", counts.map(\.events)), .int("bytes_sent", counts.map(\.bytesSent)), .int("bytes_received", counts.map(\.bytesReceived))]
        if verdictCounts { values += [.int("denies", counts.map(\.denies)), .int("alerts", counts.map(\.alerts))] }
        let sums = values.map { "\($0.name) = \(table).\($0.name) + excluded.\($0.name)" }
        values.append(.int("last_us", counts.map(\.lastUs)))
        let greatest = kind == .postgres ? "GREATEST" : "MAX"
        add(table, kind: kind, keys: keys, values: values, update: (sums + ["last_us = \(greatest)(\(table).last_us, excluded.last_us)"]).joined(separator: ", "))
    }

    /// `INSERT … ON CONFLICT (keys) DO UPDATE SET update [WHERE condition]` of the rows the columns hold.
    private mutating func add(_ table: String, kind: SQLKind, keys: [Column], values: [Column], update: String, where condition: String? = nil) {
        let columns = keys + values
        let rows = columns.first?.count ?? 0
        guard rows > 0 else { return }
        let names = columns.map(\.name).joined(separator: ", ")
        let conflict = " ON CONFLICT (\(keys.map(\.name).joined(separator: ", "))) DO UPDATE SET \(update)" + (condition.map { " WHERE \($0)" } ?? "")
        if kind == .postgres {
            var binds = PostgresBindings(capacity: columns.count)
            var arrays: [String] = []
            for (index, column) in columns.enumerated() {
                switch column {
                case .int(_, let values):
                    binds.append(values)
                    arrays.append("$\(index + 1)::BIGINT[]")
                case .text(_, let values):
                    binds.append(values)
                    arrays.append("$\(index + 1)::TEXT[]")
                }
            }
            // Byte order for text: the same order in every writer, and cheaper than a collation's.
            let order = keys.map { key -> String in
                if case .text = key { return "\(key.name) COLLATE \"C\"" }
                return key.name
            }
            let sql = "INSERT INTO \(table) (\(names)) SELECT \(names) FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(names)) ORDER BY \(order.joined(separator: ", "))" + conflict
            statements.append(.postgres(PostgresQuery(unsafeSQL: sql, binds: binds)))
            return
        }
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        for start in stride(from: 0, to: rows, by: Self.sqliteRowsPerStatement) {
            let end = min(rows, start + Self.sqliteRowsPerStatement)
            var sql = "INSERT INTO \(table) (\(names)) VALUES "
            sql.reserveCapacity(sql.utf8.count + conflict.utf8.count + (end - start) * (placeholders.utf8.count + 1))
            var binds: [SQLiteData] = []
            binds.reserveCapacity((end - start) * columns.count)
            for row in start..<end {
                sql += row == start ? placeholders : "," + placeholders
                for column in columns { binds.append(column.sqlite(row)) }
            }
            statements.append(.sqlite(sql + conflict, binds))
        }
    }
}
