import Foundation
import SluiceAPI
import SluiceCore

/// Learned rules reported by agents, across nodes, and operators' decisions on them.
extension ServerAPI {
    func listLearnedRules(_ input: Operations.ListLearnedRules.Input) async throws -> Operations.ListLearnedRules.Output {
        var filter = RuleFilter(limit: try QueryCheck.int(input.query.limit, "limit", range: 1...10_000) ?? 1000)
        filter.nodeIDs = try await nodeIDs(try scope.queryList("node"))
        filter.state = input.query.state.flatMap { LearnedRule.State(rawValue: $0.rawValue) }
        return .ok(.init(body: .json(try await store.learnedRules(filter))))
    }

    func decideLearnedRule(_ input: Operations.DecideLearnedRule.Input) async throws -> Operations.DecideLearnedRule.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        if let note = body.note { try Limits.check(note, "note", max: 4096) }
        let decision = try await store.decideRule(
            nodeID: input.path.node, ruleID: input.path.rule, decision: body.decision, by: principal.user.name, actor: principal.actor,
            note: body.note)
        return .created(.init(body: .json(decision)))
    }
}
