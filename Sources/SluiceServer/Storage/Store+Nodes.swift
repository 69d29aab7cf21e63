import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

struct NodeRecord: Sendable, Hashable, Revocable {
    var id: String
    var name: String
    var labels: [String: String]
    var kernel: String
    var agentVersion: String
    var joinToken: String?
    var enrolledUs: Int64
    var lastHeartbeatUs: Int64?
    var revokedUs: Int64?
    var appliedRevision: Int64?
    var applyError: String?
    var failedRevision: Int64?
    var policyGeneration: Int64
    var rulesLoaded: Int64
    /// The last heartbeat's counts as stored (JSON), decoded only for the node's view: every
    /// request a node makes reads its record, and a push wakes thousands of them at once.
    var decisionsJSON: String
    var lossesJSON: String
    var eventsBuffered: Int64

    var decisions: Components.Schemas.DecisionCounts {
        JSONColumn.decode(schema: Components.Schemas.DecisionCounts.self, decisionsJSON) ?? .init(allow: 0, alert: 0, deny: 0, monitorDeny: 0)
    }

    var losses: Components.Schemas.EventLosses {
        JSONColumn.decode(schema: Components.Schemas.EventLosses.self, lossesJSON) ?? .init(kernel: 0, agent: 0, upload: 0)
    }

    init(row: any SQLRow) throws {
        id = try row.string("id")
        name = try row.string("name")
        labels = JSONColumn.decodeMap(try row.string("labels"))
        kernel = try row.string("kernel")
        agentVersion = try row.string("agent_version")
        joinToken = try row.optionalString("join_token_name")
        enrolledUs = try row.int64("enrolled_us")
        lastHeartbeatUs = try row.optionalInt64("last_heartbeat_us")
        revokedUs = try row.optionalInt64("revoked_us")
        appliedRevision = try row.optionalInt64("applied_revision")
        applyError = try row.optionalString("apply_error")
        failedRevision = try row.optionalInt64("failed_revision")
        policyGeneration = try row.int64("policy_generation")
        rulesLoaded = try row.int64("rules_loaded")
        decisionsJSON = try row.string("decisions")
        lossesJSON = try row.string("losses")
        eventsBuffered = try row.int64("events_buffered")
    }

    /// Stale: no heartbeat (or none since enrolling) for longer than `staleAfter` microseconds.
    func isStale(now: Int64, staleAfterUs: Int64) -> Bool {
        now - (lastHeartbeatUs ?? enrolledUs) > staleAfterUs
    }

    func rollout(revision: Int64, now: Int64, staleAfterUs: Int64) -> Components.Schemas.RolloutState {
        if revokedUs != nil { return .revoked }
        if isStale(now: now, staleAfterUs: staleAfterUs) { return .stale }
        if let appliedRevision, appliedRevision >= revision { return .applied }
        if let failedRevision, failedRevision >= revision, applyError != nil { return .failed }
        return .pending
    }

    func info(revision: Int64, now: Int64, staleAfterUs: Int64) -> Components.Schemas.NodeInfo {
        .init(
            id: id, name: name, labels: .init(labels), kernel: kernel, agentVersion: agentVersion, enrolled: Micros.date(enrolledUs),
            joinToken: joinToken, lastHeartbeat: Micros.date(lastHeartbeatUs), stale: isStale(now: now, staleAfterUs: staleAfterUs),
            revoked: Micros.date(revokedUs), appliedRevision: appliedRevision.map { Int(max(0, $0)) },
            currentRevision: Int(max(0, revision)), rollout: rollout(revision: revision, now: now, staleAfterUs: staleAfterUs),
            applyError: applyError, failedRevision: failedRevision.map { Int(max(0, $0)) }, policyGeneration: Int(UInt32(clamping: policyGeneration)),
            rulesLoaded: Int(rulesLoaded),
            decisions: decisions, eventsLost: losses,
            eventsBuffered: Int(eventsBuffered))
    }
}

extension Store {
    private static let nodeSelect: SQLQueryString =
        "SELECT n.*, j.name AS join_token_name FROM nodes n LEFT JOIN join_tokens j ON j.id = n.join_token_id"

    enum EnrollRefusal: Error {
        case unknownToken, revoked, expired, usedUp(Int)
        /// The node asked for a label its token does not let it claim.
        case label(LabelClaims.Refusal)
        /// An enrolled, unrevoked node has the name (its id), and the token does not allow reuse.
        case nameInUse(String)
    }

    /// Enrolls a node with a join token: a new node id every time, even for a known name.
    func enroll(
        joinTokenHash: String, request: Components.Schemas.EnrollRequest, nodeID: String, credentialHash: String
    ) async throws -> Result<NodeRecord, EnrollRefusal> {
        try await database.transaction { [forUpdate] session in
            guard let row = try await session.sql.raw("SELECT * FROM join_tokens WHERE token_hash = \(bind: joinTokenHash)\(forUpdate)").first()
            else { return .failure(.unknownToken) }
            let token = try JoinTokenRecord(row: row)
            let now = Micros.now()
            if token.revokedUs != nil { return .failure(.revoked) }
            if let expires = token.expiresUs, expires <= now { return .failure(.expired) }
            // Read and counted in this transaction (row-locked on PostgreSQL): parallel enrollments
            // cannot go past the limit.
            if let limit = token.maxUses, token.uses >= limit { return .failure(.usedUp(limit)) }
            let labels: [String: String]
            switch token.claims.labels(token: token.name, tokenLabels: token.labels, requested: request.labels.additionalProperties) {
            case .success(let granted): labels = granted
            case .failure(let refusal): return .failure(.label(refusal))
            }
            if !token.reuseNames,
                let holder = try await session.sql.raw(
                    "SELECT id FROM nodes WHERE name = \(bind: request.nodeName) AND revoked_us IS NULL ORDER BY enrolled_us LIMIT 1"
                ).first()
            {
                return .failure(.nameInUse(try holder.string("id")))
            }
            try await session.sql.raw(
                """
                INSERT INTO nodes (id, name, labels, kernel, agent_version, credential_hash, join_token_id, enrolled_us)
                VALUES (\(bind: nodeID), \(bind: request.nodeName), \(bind: JSONColumn.encode(labels)), \(bind: request.kernel),
                \(bind: request.agentVersion), \(bind: credentialHash), \(bind: token.id), \(bind: now))
                """
            ).run()
            try await session.sql.raw("UPDATE join_tokens SET uses = uses + 1 WHERE id = \(bind: token.id)").run()
            try await Store.audit(
                session, actor: "join_token:\(token.name)", action: "node.enroll", target: request.nodeName,
                details: ["node_id": nodeID, "labels": NodeSelector.format(labels), "agent_version": request.agentVersion])
            let node = try await session.sql.raw("\(Store.nodeSelect) WHERE n.id = \(bind: nodeID)").first()
            return .success(try NodeRecord(row: node!))
        }
    }

    /// The node holding a credential; an unrevoked one is kept for a moment (`NodeCredentialCache`).
    func node(credentialHash: String) async throws -> NodeRecord? {
        if let node = credentials.node(credentialHash: credentialHash) { return node }
        let generation = credentials.generation
        let node = try await database.read { sql in
            try await sql.raw("\(Store.nodeSelect) WHERE n.credential_hash = \(bind: credentialHash)").first().map { try NodeRecord(row: $0) }
        }
        if let node, node.revokedUs == nil { credentials.remember(node, credentialHash: credentialHash, readAt: generation) }
        return node
    }

    func node(id: String) async throws -> NodeRecord? {
        try await database.read { sql in
            try await sql.raw("\(Store.nodeSelect) WHERE n.id = \(bind: id)").first().map { try NodeRecord(row: $0) }
        }
    }

    /// The nodes of `ids` that exist, a thousand a query.
    func nodes(ids: [String]) async throws -> [NodeRecord] {
        var nodes: [NodeRecord] = []
        for start in stride(from: 0, to: ids.count, by: 1000) {
            let chunk = Array(ids[start..<min(ids.count, start + 1000)])
            nodes += try await database.read { sql in
                try await sql.raw("\(Store.nodeSelect) WHERE n.id IN (\(binds: chunk))").all().map { try NodeRecord(row: $0) }
            }
        }
        return nodes
    }

    func nodes() async throws -> [NodeRecord] {
        try await database.read { sql in
            try await sql.raw("\(Store.nodeSelect) ORDER BY n.name, n.enrolled_us").all().map { try NodeRecord(row: $0) }
        }
    }

    /// Node ids for a filter value: an id, or every node ever enrolled under that name.
    func nodeIDs(matching value: String) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT id FROM nodes WHERE id = \(bind: value) OR name = \(bind: value)").all().map { try $0.string("id") }
        }
    }

    /// Records a heartbeat; returns the operator decisions the node has not acknowledged.
    func heartbeat(nodeID: String, _ heartbeat: Components.Schemas.Heartbeat) async throws -> [Components.Schemas.RuleDecision] {
        try await database.transaction { session in
            let now = Micros.now()
            try await session.sql.raw(
                """
                UPDATE nodes SET last_heartbeat_us = \(bind: now), applied_revision = \(bind: heartbeat.appliedRevision.map { Int64(clamping: $0) }),
                apply_error = \(bind: heartbeat.applyError), failed_revision = \(bind: heartbeat.failedRevision.map { Int64(clamping: $0) }),
                policy_generation = \(bind: Int64(heartbeat.policyGeneration)), rules_loaded = \(bind: Int64(heartbeat.rulesLoaded)),
                decisions = \(bind: JSONColumn.encode(fleet: heartbeat.decisions)), losses = \(bind: JSONColumn.encode(fleet: heartbeat.eventsLost)),
                events_buffered = \(bind: Int64(heartbeat.eventsBuffered)), agent_version = \(bind: heartbeat.agentVersion)
                WHERE id = \(bind: nodeID)
                """
            ).run()
            if let applied = heartbeat.ruleDecisionsApplied, !applied.isEmpty {
                try await session.sql.raw(
                    """
                    UPDATE rule_decisions SET delivered_us = \(bind: now)
                    WHERE node_id = \(bind: nodeID) AND delivered_us IS NULL AND id IN (\(binds: applied.prefix(1000).map { $0 }))
                    """
                ).run()
            }
            return try await session.sql.raw(
                "SELECT * FROM rule_decisions WHERE node_id = \(bind: nodeID) AND delivered_us IS NULL ORDER BY id LIMIT 1000"
            ).all().map { try Components.Schemas.RuleDecision(row: $0) }
        }
    }

    func revokeNode(id: String, actor: String) async throws -> NodeRecord {
        defer { credentials.forget(nodeID: id) }
        return try await database.transaction { session in
            guard let row = try await session.sql.raw("\(Store.nodeSelect) WHERE n.id = \(bind: id)").first() else {
                throw APIError.notFound("no node \(id)")
            }
            var node = try NodeRecord(row: row)
            try await Store.revokeOnce(
                &node, table: "nodes", id: id, session, actor: actor, action: "node.revoke", target: node.name, details: ["node_id": id])
            try await Store.countNodeChange(session)
            try await self.notify(session, .node(id: id))
            return node
        }
    }

    /// Replaces a node's labels and bumps the fleet revision (its policies may change).
    func setNodeLabels(id: String, labels: [String: String], actor: String) async throws -> (NodeRecord, Int64) {
        defer { credentials.forget(nodeID: id) }
        return try await database.transaction { session in
            guard let row = try await session.sql.raw("\(Store.nodeSelect) WHERE n.id = \(bind: id)").first() else {
                throw APIError.notFound("no node \(id)")
            }
            let old = try NodeRecord(row: row)
            try await session.sql.raw("UPDATE nodes SET labels = \(bind: JSONColumn.encode(labels)) WHERE id = \(bind: id)").run()
            let revision = try await Store.bumpRevision(session)
            try await Store.countNodeChange(session)
            // The node first: another replica forgets it before the revision wakes its polls.
            try await self.notify(session, .node(id: id))
            try await self.notify(session, .revision(revision))
            // The feeds that target the node may differ now.
            try await Store.intelLayoutChanged(session)
            try await Store.audit(
                session, actor: actor, action: "node.labels", target: old.name,
                details: ["node_id": id, "from": NodeSelector.format(old.labels), "to": NodeSelector.format(labels), "revision": String(revision)])
            let node = try await session.sql.raw("\(Store.nodeSelect) WHERE n.id = \(bind: id)").first()
            return (try NodeRecord(row: node!), revision)
        }
    }

    /// For tests and tools: pretend the last heartbeat was at `time`.
    func setLastHeartbeat(nodeID: String, microseconds time: Int64) async throws {
        try await database.transaction { session in
            try await session.sql.raw("UPDATE nodes SET last_heartbeat_us = \(bind: time) WHERE id = \(bind: nodeID)").run()
        }
    }
}

extension Components.Schemas.RuleDecision {
    init(row: any SQLRow) throws {
        self.init(
            id: Int(try row.int64("id")), ruleId: try row.string("rule_id"),
            decision: .init(rawValue: try row.string("decision")) ?? .reject, decidedBy: try row.string("decided_by"),
            decided: Micros.date(try row.int64("decided_us")), note: try row.optionalString("note"))
    }
}
