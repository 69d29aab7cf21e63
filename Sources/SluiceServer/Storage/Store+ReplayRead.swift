import Foundation
import SQLKit
import SQLiteKit
import SQLiteNIO
import PostgresNIO
import SluiceCore
import Synchronization

/// The what-if replay's read of stored decisions: most rows of a range, newest first, a page at
/// a time from the read-only connections.
extension Store {
    /// A page of decision lines of `nodeIDs` since `sinceUs` below `cursor`, newest first, and the
    /// cursor of the next page when there may be one.
    ///
    /// The replay reads most of the range, so each page walks the rows by id from the cursor down
    /// and tests the other conditions on the row. SQLite's planner (no statistics) would take the
    /// node index instead and sort every older row of those nodes for each page: a million stored
    /// decisions took 25 to 34 s to read that way, against about a second now. The `+` keeps
    /// SQLite from using an index for a condition; PostgreSQL plans from its statistics.
    /// Rows are taken as the driver yields them, without a list of row objects in between.
    func replayLines(nodeIDs: [String], sinceUs: Int64?, cursor: Int64?, limit: Int) async throws -> (lines: [String], nextCursor: Int64?) {
        guard !nodeIDs.isEmpty, limit > 0 else { return ([], nil) }
        let page = ReplayPage(capacity: limit)
        let logger = database.logger
        // Through SQLKit each row is decoded by column name and dynamic casts (with SQLite, also
        // handed to the event loop as a task of its own), which cost more than the database's own
        // reading of it: the drivers' rows are read directly.
        try await database.readSession { session in
            switch session.connection {
            case .sqlite(let connection):
                var conditions: [SQLQueryString] = ["+kind = \(bind: EventKind.decision.rawValue)", "+node_id IN (\(binds: nodeIDs))"]
                if let sinceUs { conditions.append("+time_us >= \(bind: sinceUs)") }
                if let cursor { conditions.append("id < \(bind: cursor)") }
                let query: SQLQueryString =
                    "SELECT id, line FROM events \(Store.whereClause(conditions)) ORDER BY id DESC LIMIT \(unsafeRaw: String(limit + 1))"
                let (text, binds) = session.sql.serialize(query)
                let encoder = SQLiteDataEncoder()
                try await connection.query(text, try binds.map { try encoder.encode($0) }) { row in
                    page.add {
                        guard let id = row.column("id")?.integer, let line = row.column("line")?.string else { throw ReplayReadError.unreadableRow }
                        return (Int64(id), line)
                    }
                }
            case .postgres(let connection):
                var binds = PostgresBindings()
                binds.append(EventKind.decision.rawValue)
                binds.append(nodeIDs)
                var text = "SELECT id, line FROM events WHERE kind = $1 AND node_id = ANY($2)"
                if let sinceUs {
                    binds.append(sinceUs)
                    text += " AND time_us >= $\(binds.count)"
                }
                if let cursor {
                    binds.append(cursor)
                    text += " AND id < $\(binds.count)"
                }
                text += " ORDER BY id DESC LIMIT \(limit + 1)"
                let rows = try await connection.query(PostgresQuery(unsafeSQL: text, binds: binds), logger: logger)
                for try await (id, line) in rows.decode((Int64, String).self) { page.add { (id, line) } }
            }
        }
        return try page.taken(limit: limit)
    }
}

/// Why a page of stored decisions could not be read.
enum ReplayReadError: Error, CustomStringConvertible {
    /// A row without its id or line: the events table is not what this version wrote.
    case unreadableRow

    var description: String { "a stored decision has no id or line: the events table is not what this server version wrote" }
}

/// The rows of one page as the driver hands them over (on its own thread).
private final class ReplayPage: Sendable {
    private struct Rows {
        var lines: [String] = []
        var ids: [Int64] = []
        var failure: (any Error)?
    }

    private let rows: Mutex<Rows>

    init(capacity: Int) {
        var rows = Rows()
        rows.lines.reserveCapacity(capacity + 1)
        rows.ids.reserveCapacity(capacity + 1)
        self.rows = Mutex(rows)
    }

    /// Adds the row `decode` reads; the first column it cannot read fails the page.
    func add(_ decode: () throws -> (id: Int64, line: String)) {
        rows.withLock { rows in
            guard rows.failure == nil else { return }
            do {
                let (id, line) = try decode()
                rows.lines.append(line)
                rows.ids.append(id)
            } catch {
                rows.failure = error
            }
        }
    }

    /// The first `limit` lines, and the id of the last of them when more rows followed.
    func taken(limit: Int) throws -> (lines: [String], nextCursor: Int64?) {
        try rows.withLock { rows in
            if let failure = rows.failure { throw failure }
            guard rows.lines.count > limit else { return (rows.lines, nil) }
            rows.lines.removeLast(rows.lines.count - limit)
            return (rows.lines, rows.ids[limit - 1])
        }
    }
}
