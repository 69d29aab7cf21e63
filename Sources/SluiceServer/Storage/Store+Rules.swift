import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

struct RuleFilter: Sendable {
    var nodeIDs: [String]?
    var state: LearnedRule.State?
    var limit: Int
}

extension Store {
    /// Replaces the node's snapshot of learned rules.
    func replaceLearnedRules(nodeID: String, rules: [LearnedRule]) async throws {
        try await database.transaction { session in
            let now = Micros.now()
            try await session.sql.raw("DELETE FROM learned_rules WHERE node_id = \(bind: nodeID)").run()
            for chunk in stride(from: 0, to: rules.count, by: 200) {
                let slice = rules[chunk..<min(rules.count, chunk + 200)]
                var values: [SQLQueryString] = []
                for rule in slice {
                    values.append("(\(bind: nodeID), \(bind: rule.id), \(bind: rule.state.rawValue), \(bind: JSONColumn.encode(fleet: rule)), \(bind: now))")
                }
                try await session.sql.raw(
                    "INSERT INTO learned_rules (node_id, rule_id, state, rule, reported_us) VALUES \(values.joined(separator: ", "))"
                ).run()
            }
        }
    }

    func learnedRules(_ filter: RuleFilter) async throws -> [Components.Schemas.LearnedRuleRecord] {
        try await database.read { sql in
            var conditions: [SQLQueryString] = []
            if let nodes = filter.nodeIDs { conditions.append(nodes.isEmpty ? "1 = 0" : "r.node_id IN (\(binds: nodes))") }
            if let state = filter.state { conditions.append("r.state = \(bind: state.rawValue)") }
            let rows = try await sql.raw(
                """
                SELECT r.node_id, n.name AS node_name, r.rule, r.reported_us FROM learned_rules r JOIN nodes n ON n.id = r.node_id
                \(Store.whereClause(conditions)) ORDER BY r.reported_us DESC, r.node_id, r.rule_id LIMIT \(unsafeRaw: String(filter.limit))
                """
            ).all()
            var records: [Components.Schemas.LearnedRuleRecord] = []
            for row in rows {
                guard let rule = JSONColumn.decode(fleet: LearnedRule.self, try row.string("rule")) else { continue }
                let nodeID = try row.string("node_id")
                let decision = try await sql.raw(
                    """
                    SELECT * FROM rule_decisions WHERE node_id = \(bind: nodeID) AND rule_id = \(bind: rule.id) ORDER BY id DESC LIMIT 1
                    """
                ).first()
                records.append(
                    .init(
                        nodeId: nodeID, node: try row.string("node_name"), rule: try Components.Schemas.LearnedRule(rule), reported: Micros.date(try row.int64("reported_us")),
                        decision: try decision.map { try Components.Schemas.RuleDecision(row: $0) },
                        decisionDelivered: try decision?.optionalInt64("delivered_us") != nil))
            }
            return records
        }
    }

    /// Every learned rule the node last reported, as it reported them.
    func learnedRules(nodeID: String) async throws -> [LearnedRule] {
        try await database.read { sql in
            try await sql.raw("SELECT rule FROM learned_rules WHERE node_id = \(bind: nodeID) ORDER BY rule_id").all().compactMap {
                JSONColumn.decode(fleet: LearnedRule.self, try $0.string("rule"))
            }
        }
    }

    /// Records an operator decision on a node's learned rule, to be delivered with the node's
    /// next heartbeat answer.
    func decideRule(
        nodeID: String, ruleID: String, decision: Components.Schemas.RuleDecisionKind, by user: String, actor: String, note: String?
    ) async throws -> Components.Schemas.RuleDecision
    {
        try await database.transaction { session in
            guard try await session.sql.raw("SELECT id FROM nodes WHERE id = \(bind: nodeID)").first() != nil else {
                throw APIError.notFound("no node \(nodeID)")
            }
            guard
                try await session.sql.raw("SELECT rule_id FROM learned_rules WHERE node_id = \(bind: nodeID) AND rule_id = \(bind: ruleID)")
                    .first() != nil
            else { throw APIError.notFound("node \(nodeID) has not reported a learned rule \(ruleID)") }
            // A newer decision replaces one not yet delivered.
            try await session.sql.raw(
                """
                UPDATE rule_decisions SET delivered_us = \(bind: Int64(0))
                WHERE node_id = \(bind: nodeID) AND rule_id = \(bind: ruleID) AND delivered_us IS NULL
                """
            ).run()
            let row = try await session.sql.raw(
                """
                INSERT INTO rule_decisions (node_id, rule_id, decision, decided_by, decided_us, note)
                VALUES (\(bind: nodeID), \(bind: ruleID), \(bind: decision.rawValue), \(bind: user), \(bind: Micros.now()), \(bind: note))
                RETURNING *
                """
            ).first()
            var details = ["node_id": nodeID, "decision": decision.rawValue]
            if let note { details["note"] = note }
            try await Store.audit(session, actor: actor, action: "rule.\(decision.rawValue)", target: ruleID, details: details)
            return try Components.Schemas.RuleDecision(row: row!)
        }
    }
}
