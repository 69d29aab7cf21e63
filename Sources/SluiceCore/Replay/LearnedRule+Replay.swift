/// Why approving a learned rule cannot be previewed.
public enum LearnedRulePreviewError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Only a proposed or installed rule can be approved.
    case notApprovable(id: String, state: LearnedRule.State)
    /// The policy an approval would write does not validate (a rule with no subject, say).
    case invalidApproval(id: String, diagnostics: [String])

    public var description: String {
        switch self {
        case .notApprovable(let id, let state):
            "rule \(id) is \(state.rawValue): only a proposed or installed rule can be approved"
        case .invalidApproval(let id, let diagnostics):
            "the policy approving rule \(id) would write does not validate:\n" + diagnostics.joined(separator: "\n")
        }
    }
}

extension PolicyReplay.NodePolicies {
    /// A node's policies now and after an operator approves `rule`, as the agent enforces them
    /// (`RuleLearner.publish`, `EnforcementController.compileWithLearned`): now, the
    /// administrator's `policies` with the node's learned rules in force (installed, or approved
    /// but kept in force while their file is missing) as `learned-<id>` policies; after, the
    /// policy file the approval writes (`approved-<id>`, parsed as the agent reads its policy
    /// folder) and the other learned rules.
    public static func approving(
        _ rule: LearnedRule, policies: PolicySet, learned: [LearnedRule]
    ) throws(LearnedRulePreviewError) -> PolicyReplay.NodePolicies {
        guard [.proposed, .installed].contains(rule.state) else { throw .notApprovable(id: rule.id, state: rule.state) }
        let inForce = learned.filter { $0.state == .installed || ($0.state == .approved && $0.policyFile == nil) }
        let approval = PolicyLoader.check(sources: [(file: "approved-\(rule.id).yaml", text: rule.approvedPolicyYAML(approvedBy: "preview", now: rule.created))])
        if approval.hasErrors { throw .invalidApproval(id: rule.id, diagnostics: approval.errors.map(\.description)) }
        let others = inForce.filter { $0.id != rule.id }.compactMap { $0.policy() }
        return PolicyReplay.NodePolicies(
            current: PolicySet(policies.policies + inForce.compactMap { $0.policy() }),
            candidate: PolicySet(policies.policies + approval.policySet.policies + others))
    }
}
