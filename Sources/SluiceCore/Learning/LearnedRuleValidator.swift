/// Checks a proposed rule against the administrator's policy before it may reach the kernel: it
/// never overrides an explicit allow, never targets protected destinations (loopback, and what
/// policy names as protected), never blocks the agent itself, and never conflicts with another
/// learned rule.
public struct LearnedRuleValidator: Sendable {
    /// The administrator's policy as compiled (without learned rules).
    public let engine: DecisionEngine
    public let rules: [RuleInfo]
    /// The agent's own executable path: never a learned rule's subject.
    public let agentExecutable: String?

    public init(image: DatapathImage, rules: [RuleInfo], agentExecutable: String?) {
        engine = DecisionEngine(image: image)
        self.rules = rules
        self.agentExecutable = agentExecutable
    }

    public enum Outcome: Sendable, Hashable {
        case accepted
        /// Why not: shown to the operator as the rule's note.
        case refused(String)
    }

    /// `flow` is the connection that raised the anomaly, as the kernel saw it.
    public func validate(
        _ rule: LearnedRule, flow: FlowQuery, settings: LearningSettings, existing: [LearnedRule]
    ) -> Outcome {
        guard let address = IPAddress(rule.destination) else { return .refused("\(rule.destination) is not an address") }
        if let protected = (LearningSettings.alwaysProtected + settings.protected).first(where: { $0.contains(address) }) {
            return .refused("\(rule.destination) is protected (\(protected)); learned rules never target it")
        }
        if let agentExecutable, rule.executable == agentExecutable {
            return .refused("\(agentExecutable) is the agent itself")
        }
        let decision = engine.decide(flow)
        let deciding = Int(decision.verdict.ruleID) < rules.count ? rules[Int(decision.verdict.ruleID)] : nil
        if !decision.byDefault, decision.verdict.action == .allow, let deciding, deciding.policy != nil {
            return .refused(
                "rule \(deciding.rule) of policy \(deciding.policy!) explicitly allows this; learned rules never override an administrator's allow")
        }
        if decision.verdict.action == .deny && !decision.verdict.monitor {
            return .refused("policy already denies this")
        }
        if rule.action == .alert && decision.verdict.action == .alert {
            return .refused("policy already alerts on this")
        }
        for other in existing where other.id != rule.id && other.scope == rule.scope && other.state == .installed {
            return other.action == rule.action
                ? .refused("rule \(other.id) already covers this")
                : .refused("conflicts with learned rule \(other.id) (\(other.action.rawValue))")
        }
        return .accepted
    }
}
