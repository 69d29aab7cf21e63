import Foundation
import Hummingbird
import SluiceCore

/// Learned rules across nodes, and operators' decisions on them.
extension ServerApp {
    func addRuleRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/rules", .viewer) { request, _, _ in
            var filter = RuleFilter(limit: try request.queryInt("limit", range: 1...10_000) ?? 1000)
            filter.nodeIDs = try await self.nodeIDs(try request.queryList("node"))
            if let state = try request.query("state") {
                guard let value = LearnedRule.State(rawValue: state) else {
                    throw APIError.badRequest("state must be one of \(LearnedRule.State.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.state = value
            }
            return try JSONResponse.make(try await self.store.learnedRules(filter))
        }
        routes.user(.post, "/api/v1/rules/:node/:rule/decision", .operator) { request, context, principal in
            let node = try context.parameters.require("node")
            let rule = try context.parameters.require("rule")
            let body = try await request.decode(RuleDecisionRequest.self, limit: 16 << 10)
            if let note = body.note { try Limits.check(note, "note", max: 4096) }
            let decision = try await self.store.decideRule(
                nodeID: node, ruleID: rule, decision: body.decision, by: principal.user.name, actor: principal.actor, note: body.note)
            return try JSONResponse.make(decision, status: .created)
        }
    }
}
