import Foundation
import Logging
import PostgresNIO

// PostgreSQL ingest: a batch's ids taken from the sequence in one statement, its rows sent with
// COPY (text format) rather than as bound parameters of INSERTs, in the batch's transaction.
extension Store {
    private static let copyColumns = ["id"] + EventRow.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

    /// Stores the rows; returns the lowest and highest id given to them. Other batches stored at
    /// the same time may take ids between them (the sequence serves all), never the same.
    static func copyPostgres(_ connection: PostgresConnection, nodeID: String, rows: [EventRow], logger: Logger) async throws
        -> ClosedRange<Int64>?
    {
        guard !rows.isEmpty else { return nil }
        var ids: [Int64] = []
        for try await taken in try await connection.query(
            "SELECT array_agg(nextval('event_ids')) FROM generate_series(1, \(Int64(rows.count)))", logger: logger
        ).decode([Int64].self) {
            ids = taken
        }
        guard ids.count == rows.count else { throw StoreError.sequenceShort(wanted: rows.count, got: ids.count) }
        var text = CopyText(capacity: rows.reduce(0) { $0 + $1.line.utf8.count + 200 })
        for (id, row) in zip(ids, rows) {
            text.integer(id)
            try text.text(nodeID, column: "node id")
            text.integer(row.timeUs)
            try text.text(row.exe, column: "executable")
            try text.text(row.cgroup, column: "cgroup")
            try text.text(row.destinationKey, column: "destination")
            try text.text(row.domain, column: "domain")
            text.integer(row.port)
            try text.text(row.transport, column: "transport")
            try text.text(row.verdict, column: "verdict")
            text.boolean(row.enforced)
            try text.text(row.policy, column: "policy")
            try text.text(row.rule, column: "rule")
            text.double(row.score)
            text.boolean(row.anomaly)
            try text.text(row.line, column: "line")
            try text.text(row.kind, column: "kind")
            text.integer(row.bytesSent)
            text.integer(row.bytesReceived)
            text.endRow()
        }
        let data = text.buffer
        try await connection.copyFrom(table: "events", columns: copyColumns, logger: logger) { writer in
            try await writer.write(data)
        }
        return ids.min()!...ids.max()!
    }
}

extension PostgresConnection {
    /// Runs a statement to its end: an error PostgreSQL reports after the statement began (a
    /// constraint, a conflict) is thrown here, not lost with an unread row sequence.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

/// A storage failure that is the database's, not the input's.
enum StoreError: Error, CustomStringConvertible {
    /// `nextval` gave fewer ids than rows (it never should).
    case sequenceShort(wanted: Int, got: Int)

    var description: String {
        switch self {
        case .sequenceShort(let wanted, let got): "the event id sequence gave \(got) ids for \(wanted) rows"
        }
    }
}
