import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

extension Store {
    /// Records a change inside the transaction that makes it: no change without its entry.
    static func audit(_ session: ServerDatabase.Session, actor: String, action: String, target: String, details: [String: String] = [:])
        async throws
    {
        try await session.sql.raw(
            """
            INSERT INTO audit_log (time_us, actor, action, target, details)
            VALUES (\(bind: Micros.now()), \(bind: actor), \(bind: action), \(bind: target), \(bind: JSONColumn.encode(details)))
            """
        ).run()
    }

    /// Records something that changes nothing else (a failed login).
    func audit(actor: String, action: String, target: String, details: [String: String] = [:]) async throws {
        try await database.transaction { session in
            try await Store.audit(session, actor: actor, action: action, target: target, details: details)
        }
    }

    struct AuditFilter: Sendable {
        var actor: String?
        var action: String?
        var target: String?
        var sinceUs: Int64?
        var untilUs: Int64?
        var cursor: Int64?
        var limit: Int
    }

    /// Newest first.
    func auditEntries(_ filter: AuditFilter) async throws -> Components.Schemas.AuditPage {
        try await database.read { sql in
            var conditions: [SQLQueryString] = []
            if let actor = filter.actor { conditions.append("actor = \(bind: actor)") }
            if let action = filter.action {
                // `policy` matches `policy.push`, `policy.rollback`, …
                conditions.append(action.contains(".") ? "action = \(bind: action)" : "(action = \(bind: action) OR action LIKE \(bind: action + ".%"))")
            }
            if let target = filter.target { conditions.append("target = \(bind: target)") }
            if let since = filter.sinceUs { conditions.append("time_us >= \(bind: since)") }
            if let until = filter.untilUs { conditions.append("time_us < \(bind: until)") }
            if let cursor = filter.cursor { conditions.append("id < \(bind: cursor)") }
            let rows = try await sql.raw(
                "SELECT * FROM audit_log \(Store.whereClause(conditions)) ORDER BY id DESC LIMIT \(unsafeRaw: String(filter.limit + 1))"
            ).all()
            let entries = try rows.prefix(filter.limit).map { row in
                Components.Schemas.AuditEntry(
                    id: Int(try row.int64("id")), time: Micros.date(try row.int64("time_us")), actor: try row.string("actor"),
                    action: try row.string("action"), target: try row.string("target"),
                    details: .init(additionalProperties: JSONColumn.decodeMap(try row.string("details"))))
            }
            let next = rows.count > filter.limit ? entries.last.map { String($0.id) } : nil
            return .init(items: entries, nextCursor: next)
        }
    }

    static func whereClause(_ conditions: [SQLQueryString]) -> SQLQueryString {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }
}

/// A stored credential or node that can be revoked: once, the first revocation's time kept.
protocol Revocable {
    var revokedUs: Int64? { get set }
}

extension Store {
    /// Revokes `record`, row `id` of `table`, unless it is revoked already, and audits that
    /// first revocation; revoking again changes nothing and is not audited.
    static func revokeOnce<Record: Revocable>(
        _ record: inout Record, table: String, id: some Encodable & Sendable, _ session: ServerDatabase.Session, actor: String,
        action: String, target: String, details: [String: String]
    ) async throws {
        guard record.revokedUs == nil else { return }
        let now = Micros.now()
        try await session.sql.raw("UPDATE \(unsafeRaw: table) SET revoked_us = \(bind: now) WHERE id = \(bind: id)").run()
        record.revokedUs = now
        try await audit(session, actor: actor, action: action, target: target, details: details)
    }
}
