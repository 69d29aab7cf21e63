import Foundation
import SQLKit
import SluiceCore

/// The server's data: one type, its parts in `Store+*.swift` by concern. Everything that changes
/// several rows does it in one transaction.
final class Store: Sendable {
    let database: ServerDatabase
    /// This process among replicas sharing a PostgreSQL database: its own notifications are
    /// not news to it.
    let replicaID: String
    /// Stored batches whose counts are not yet in the rollups (Store+RollupFlush.swift).
    let rollups = RollupBacklog()
    /// Nodes by credential for a moment (Store+Nodes.swift).
    let credentials: NodeCredentialCache

    init(database: ServerDatabase, replicaID: String = Secrets.randomHex(bytes: 8)) {
        self.database = database
        self.replicaID = replicaID
        credentials = NodeCredentialCache(replicas: database.kind == .postgres)
    }

    /// Tells the other replicas (PostgreSQL NOTIFY, sent when the transaction commits).
    func notify(_ session: ServerDatabase.Session, _ message: ReplicaMessage) async throws {
        guard session.kind == .postgres else { return }
        try await session.sql.raw(
            "SELECT pg_notify(\(bind: database.notifyChannel), \(bind: message.encode(replica: replicaID)))"
        ).run()
    }

    var kind: SQLKind { database.kind }

    /// `FOR UPDATE` where the dialect has it (SQLite's writer holds the whole database instead).
    var forUpdate: SQLQueryString { kind == .postgres ? " FOR UPDATE" : "" }
}

/// Label sets and other small maps as JSON text columns.
enum JSONColumn {
    static func encode(_ value: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    static func decodeMap(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encode<T: Encodable>(fleet value: T) -> String {
        (try? FleetJSON.encoder().encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    static func decode<T: Decodable>(fleet type: T.Type, _ text: String) -> T? {
        try? FleetJSON.decoder().decode(type, from: Data(text.utf8))
    }

    /// A generated type of the API document: it names its snake_case keys itself.
    static func decode<T: Decodable>(schema type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension SQLRow {
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }
    func optionalDouble(_ column: String) throws -> Double? { try decode(column: column, as: Double?.self) }
}

/// Reads an opaque list cursor (an id, newest first); a bad one is a 400.
enum Cursor {
    static func parse(_ text: String?) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int64(text), value > 0 else { throw APIError.badRequest("cursor \"\(text.prefix(40))\" is not a cursor this server gave") }
        return value
    }
}
