import Crypto
import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

/// The alert-worthy events of one batch with one fingerprint, folded together.
struct AlertCandidate: Sendable {
    var kind: Components.Schemas.AlertKind
    var nodeID: String
    var nodeName: String
    var policy: String?
    var rule: String?
    var exe: String?
    var destination: String
    /// The name the destination was looked up by, where the node knew it.
    var domain: String?
    var port: UInt16
    var verdict: RuleAction
    var score: Double?
    var count: Int
    var firstUs: Int64
    var lastUs: Int64
    var sample: String

    /// What makes two alerts the same: node, kind, policy and rule, executable, destination.
    var fingerprint: String {
        let parts = [nodeID, kind.rawValue, policy ?? "", rule ?? "", exe ?? "", destination, String(port)]
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}

struct AlertFilter: Sendable {
    var state: Components.Schemas.AlertState?
    var kind: Components.Schemas.AlertKind?
    var nodeIDs: [String]?
    var policy: String?
    var exe: String?
    var sinceUs: Int64?
    /// Most recently seen first (the default), or newest first.
    var byLastSeen = true
    /// Where the previous page ended: the last alert's (last seen, id), or its id alone.
    var cursor: (lastUs: Int64?, id: Int64)?
    var limit: Int

    /// A page's cursor as the API hands it out: `lastUs.id` by last seen, the id by creation.
    static func cursorText(_ alert: Components.Schemas.AlertInfo, byLastSeen: Bool) -> String {
        byLastSeen ? "\(Micros.from(alert.lastSeen)).\(alert.id)" : String(alert.id)
    }

    /// Reads a cursor `cursorText` made; nil when it is not one.
    static func parseCursor(_ text: String, byLastSeen: Bool) -> (lastUs: Int64?, id: Int64)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if byLastSeen {
            guard parts.count == 2, let last = Int64(parts[0]), let id = Int64(parts[1]) else { return nil }
            return (last, id)
        }
        guard parts.count == 1, let id = Int64(parts[0]) else { return nil }
        return (nil, id)
    }
}

extension Components.Schemas.AlertInfo {
    init(row: any SQLRow) throws {
        self.init(
            id: Int(try row.int64("id")), kind: .init(rawValue: try row.string("kind")) ?? .alertRule,
            state: .init(rawValue: try row.string("state")) ?? .open, nodeId: try row.string("node_id"),
            node: try row.string("node_name"), policy: try row.optionalString("policy"), rule: try row.optionalString("rule"),
            exe: try row.optionalString("exe"), destination: try row.string("destination"), domain: try row.optionalString("domain"), port: Int(UInt16(clamping: try row.int64("port"))),
            verdict: .init(rawValue: try row.string("verdict")) ?? .alert, score: try row.optionalDouble("score"),
            count: Int(try row.int64("count")), firstSeen: Micros.date(try row.int64("first_us")), lastSeen: Micros.date(try row.int64("last_us")),
            acknowledgedBy: try row.optionalString("acknowledged_by"), acknowledged: Micros.date(try row.optionalInt64("acknowledged_us")),
            sample: try row.string("sample"))
    }
}

extension Store {
    /// Folds a candidate into the open alert with its fingerprint seen within the window, or
    /// opens a new one (returned: it is news).
    static func raise(_ candidate: AlertCandidate, session: ServerDatabase.Session, aggregationUs: Int64) async throws -> Components.Schemas.AlertInfo? {
        let fingerprint = candidate.fingerprint
        let now = Micros.now()
        // A silenced repeat folds into the alert its silence already holds back, not into an open one.
        let silence = try await Store.silence(for: candidate, session: session, now: now)
        let holder: SQLQueryString = silence.map { "state = 'acknowledged' AND acknowledged_by = \(bind: "silence #\($0.id)")" } ?? "state = 'open'"
        if let open = try await session.sql.raw(
            """
            SELECT id FROM alerts WHERE fingerprint = \(bind: fingerprint) AND \(holder)
            AND last_us >= \(bind: candidate.firstUs - aggregationUs) ORDER BY id DESC LIMIT 1
            """
        ).first() {
            let id = try open.int64("id")
            try await session.sql.raw(
                """
                UPDATE alerts SET count = count + \(bind: Int64(candidate.count)),
                last_us = CASE WHEN last_us > \(bind: candidate.lastUs) THEN last_us ELSE \(bind: candidate.lastUs) END,
                score = CASE WHEN score IS NULL OR score < \(bind: candidate.score ?? -1) THEN \(bind: candidate.score) ELSE score END
                WHERE id = \(bind: id)
                """
            ).run()
            return nil
        }
        let row = try await session.sql.raw(
            """
            INSERT INTO alerts (fingerprint, kind, state, node_id, node_name, policy, rule, exe, destination, domain, port, verdict, score, count,
            first_us, last_us, sample)
            VALUES (\(bind: fingerprint), \(bind: candidate.kind.rawValue), 'open', \(bind: candidate.nodeID), \(bind: candidate.nodeName),
            \(bind: candidate.policy), \(bind: candidate.rule), \(bind: candidate.exe), \(bind: candidate.destination), \(bind: candidate.domain),
            \(bind: Int64(candidate.port)), \(bind: candidate.verdict.rawValue), \(bind: candidate.score), \(bind: Int64(candidate.count)),
            \(bind: candidate.firstUs), \(bind: candidate.lastUs), \(bind: candidate.sample)) RETURNING *
            """
        ).first()
        let alert = try Components.Schemas.AlertInfo(row: row!)
        guard let silence else { return alert }
        // Stored, so it can be found and counted, but acknowledged by the silence: no notification.
        try await session.sql.raw(
            """
            UPDATE alerts SET state = 'acknowledged', acknowledged_by = \(bind: "silence #\(silence.id)"), acknowledged_us = \(bind: now),
            note = \(bind: silence.comment) WHERE id = \(bind: Int64(alert.id))
            """
        ).run()
        return nil
    }

    func alerts(_ filter: AlertFilter) async throws -> Components.Schemas.AlertPage {
        try await database.read { sql in
            var conditions: [SQLQueryString] = []
            if let state = filter.state { conditions.append("state = \(bind: state.rawValue)") }
            if let kind = filter.kind { conditions.append("kind = \(bind: kind.rawValue)") }
            if let nodes = filter.nodeIDs { conditions.append(nodes.isEmpty ? "1 = 0" : "node_id IN (\(binds: nodes))") }
            if let policy = filter.policy { conditions.append("policy = \(bind: policy)") }
            if let exe = filter.exe { conditions.append("exe = \(bind: exe)") }
            if let since = filter.sinceUs { conditions.append("last_us >= \(bind: since)") }
            let total = try await sql.raw("SELECT COUNT(*) AS n FROM alerts \(Store.whereClause(conditions))").first().map { try $0.int64("n") } ?? 0
            if let cursor = filter.cursor {
                if let last = cursor.lastUs {
                    conditions.append("(last_us < \(bind: last) OR (last_us = \(bind: last) AND id < \(bind: cursor.id)))")
                } else {
                    conditions.append("id < \(bind: cursor.id)")
                }
            }
            let order: SQLQueryString = filter.byLastSeen ? "last_us DESC, id DESC" : "id DESC"
            let rows = try await sql.raw(
                "SELECT * FROM alerts \(Store.whereClause(conditions)) ORDER BY \(order) LIMIT \(unsafeRaw: String(filter.limit + 1))"
            ).all()
            let items = try rows.prefix(filter.limit).map { try Components.Schemas.AlertInfo(row: $0) }
            let next = rows.count > filter.limit ? items.last.map { AlertFilter.cursorText($0, byLastSeen: filter.byLastSeen) } : nil
            return .init(items: items, nextCursor: next, total: Int(total))
        }
    }

    func alert(id: Int64) async throws -> Components.Schemas.AlertInfo? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM alerts WHERE id = \(bind: id)").first().map { try Components.Schemas.AlertInfo(row: $0) }
        }
    }

    func acknowledgeAlert(id: Int64, by user: String, actor: String, note: String?) async throws -> Components.Schemas.AlertInfo {
        try await database.transaction { session in
            guard let row = try await session.sql.raw("SELECT * FROM alerts WHERE id = \(bind: id)").first() else {
                throw APIError.notFound("no alert \(id)")
            }
            let alert = try Components.Schemas.AlertInfo(row: row)
            guard alert.state == .open else { return alert }
            let updated = try await session.sql.raw(
                """
                UPDATE alerts SET state = 'acknowledged', acknowledged_by = \(bind: user), acknowledged_us = \(bind: Micros.now()),
                note = \(bind: note) WHERE id = \(bind: id) RETURNING *
                """
            ).first()
            var details = ["kind": alert.kind.rawValue, "node": alert.node, "count": String(alert.count)]
            if let note { details["note"] = note }
            try await Store.audit(session, actor: actor, action: "alert.acknowledge", target: "alert:\(id)", details: details)
            return try Components.Schemas.AlertInfo(row: updated!)
        }
    }

    /// Acknowledges the open alerts among `ids`; returns how many there were.
    func acknowledgeAlerts(ids: [Int64], by user: String, actor: String, note: String?) async throws -> Int {
        try await database.transaction { session in
            let acknowledged = try await session.sql.raw(
                """
                UPDATE alerts SET state = 'acknowledged', acknowledged_by = \(bind: user), acknowledged_us = \(bind: Micros.now()),
                note = \(bind: note) WHERE state = 'open' AND id IN (\(binds: ids)) RETURNING id
                """
            ).all().map { try $0.int64("id") }
            if !acknowledged.isEmpty {
                var details = ["alerts": acknowledged.sorted().map(String.init).joined(separator: ",")]
                if let note { details["note"] = note }
                try await Store.audit(session, actor: actor, action: "alert.acknowledge", target: "alerts:\(acknowledged.count)", details: details)
            }
            return acknowledged.count
        }
    }

    /// The events behind an alert: its node, executable and destination between its first and
    /// last event, newest first.
    func alertEvents(_ alert: Components.Schemas.AlertInfo, limit: Int) async throws -> [String] {
        var query = EventQuery()
        query.nodeIDs = [alert.nodeId]
        query.sinceUs = Micros.from(alert.firstSeen) - 1
        query.untilUs = Micros.from(alert.lastSeen) + 1
        query.executable = alert.exe
        if let address = IPAddress(alert.destination) {
            let key = AddressKey.key(address)
            query.destination = (key, key)
        }
        query.port = Int64(alert.port)
        query.limit = limit
        return try await events(query).lines
    }
}
