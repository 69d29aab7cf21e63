import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

/// Silences: an operator's "I know, stop telling me" for new alerts that match, until it expires.
extension Store {
    private static let silencedWindowUs: Int64 = 7 * 86_400_000_000

    /// The silence in force that holds back an alert like `candidate`, if any.
    static func silence(for candidate: AlertCandidate, session: ServerDatabase.Session, now: Int64) async throws -> (id: Int64, comment: String)? {
        guard
            let row = try await session.sql.raw(
                """
                SELECT id, comment FROM silences WHERE expires_us > \(bind: now) AND ended_us IS NULL
                AND (node_id IS NULL OR node_id = \(bind: candidate.nodeID))
                AND (kind IS NULL OR kind = \(bind: candidate.kind.rawValue))
                AND (exe IS NULL OR exe = \(bind: candidate.exe ?? ""))
                AND (destination IS NULL OR destination = \(bind: candidate.destination))
                AND (port IS NULL OR port = \(bind: Int64(candidate.port)))
                AND (policy IS NULL OR policy = \(bind: candidate.policy ?? ""))
                ORDER BY id LIMIT 1
                """
            ).first()
        else { return nil }
        let id = try row.int64("id")
        try await session.sql.raw("UPDATE silences SET silenced = silenced + 1 WHERE id = \(bind: id)").run()
        return (id, try row.string("comment"))
    }

    func createSilence(_ request: Components.Schemas.CreateSilenceRequest, actor: String, user: String) async throws -> Components.Schemas.SilenceInfo {
        try await database.transaction { session in
            let now = Micros.now()
            let match = request.match
            let row = try await session.sql.raw(
                """
                INSERT INTO silences (node_id, kind, exe, destination, port, policy, comment, created_by, created_us, expires_us)
                VALUES (\(bind: match.nodeId), \(bind: match.kind?.rawValue), \(bind: match.exe), \(bind: match.destination),
                \(bind: match.port.map { Int64($0) }), \(bind: match.policy), \(bind: request.comment), \(bind: user), \(bind: now),
                \(bind: now + Int64(request.durationSeconds) * 1_000_000)) RETURNING *
                """
            ).first()
            let silence = try Components.Schemas.SilenceInfo(row: row!, now: now)
            try await Store.audit(
                session, actor: actor, action: "silence.create", target: "silence:\(silence.id)",
                details: ["comment": request.comment, "expires": RFC3339.format(Micros.from(silence.expires) * 1000)])
            return silence
        }
    }

    func silences() async throws -> [Components.Schemas.SilenceInfo] {
        let now = Micros.now()
        return try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM silences WHERE expires_us > \(bind: now - Store.silencedWindowUs) ORDER BY id DESC LIMIT 1000"
            ).all().map { try Components.Schemas.SilenceInfo(row: $0, now: now) }
        }
    }

    func endSilence(id: Int64, actor: String) async throws -> Components.Schemas.SilenceInfo {
        try await database.transaction { session in
            let now = Micros.now()
            guard var row = try await session.sql.raw("SELECT * FROM silences WHERE id = \(bind: id)").first() else {
                throw APIError.notFound("no silence \(id)")
            }
            if try row.optionalInt64("ended_us") == nil, try row.int64("expires_us") > now {
                row = try await session.sql.raw("UPDATE silences SET ended_us = \(bind: now) WHERE id = \(bind: id) RETURNING *").first()!
                try await Store.audit(session, actor: actor, action: "silence.end", target: "silence:\(id)", details: [:])
            }
            return try Components.Schemas.SilenceInfo(row: row, now: now)
        }
    }
}

extension Components.Schemas.SilenceInfo {
    init(row: any SQLRow, now: Int64) throws {
        let expires = try row.int64("expires_us")
        let ended = try row.optionalInt64("ended_us")
        self.init(
            id: Int(try row.int64("id")),
            match: .init(
                nodeId: try row.optionalString("node_id"), kind: try row.optionalString("kind").flatMap(Components.Schemas.AlertKind.init(rawValue:)),
                exe: try row.optionalString("exe"), destination: try row.optionalString("destination"),
                port: try row.optionalInt64("port").map { Int($0) }, policy: try row.optionalString("policy")),
            comment: try row.string("comment"), createdBy: try row.string("created_by"), created: Micros.date(try row.int64("created_us")),
            expires: Micros.date(expires), ended: Micros.date(ended), active: ended == nil && expires > now,
            silenced: Int(try row.int64("silenced")))
    }
}
