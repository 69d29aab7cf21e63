import Foundation
import SluiceAPI
import SluiceCore

/// What approving a learned rule would have done to its node's recorded traffic (issue 15): the
/// node's policies with its learned rules in force, against the same with the approval's policy
/// file, replayed like a policy test. Nothing is stored.
extension ServerAPI {
    func previewLearnedRule(_ input: Operations.PreviewLearnedRule.Input) async throws -> Operations.PreviewLearnedRule.Output {
        let query = input.query
        let window = try ReplayWindow(since: query.since, limit: query.limit, budgetSeconds: query.budgetSeconds, rows: query.rows)
        guard let node = try await store.node(id: input.path.node) else { throw APIError.notFound("no node \(input.path.node)") }
        let learned = try await store.learnedRules(nodeID: node.id)
        guard let rule = learned.first(where: { $0.id == input.path.rule }) else {
            throw APIError.notFound("node \(node.id) has not reported a learned rule \(input.path.rule)")
        }
        let current = try await store.latestPolicies(includeDeleted: false)
        let sets: PolicyReplay.NodePolicies
        do {
            sets = try await Offload.run {
                try PolicyReplay.NodePolicies.approving(rule, policies: try PolicyTestSets.policies(labels: node.labels, current: current), learned: learned)
            }
        } catch let failure as PolicyTestSets.Failure {
            throw APIError.unprocessable(failure.description, details: failure.details)
        } catch LearnedRulePreviewError.notApprovable(let id, let state) {
            throw APIError.conflict(LearnedRulePreviewError.notApprovable(id: id, state: state).description)
        } catch let error as LearnedRulePreviewError {
            throw APIError.unprocessable("approving the rule would be refused", details: [error.description])
        }
        var report = try await replayStored(nodes: [node], policies: [node.name: sets], window: window)
        if rule.state == .installed {
            report.notes.insert("rule \(rule.id) is installed: it is in force already, and approving keeps it as policy after it would expire", at: 0)
        }
        return .ok(.init(body: .json(try WireForm.schema(report))))
    }
}
