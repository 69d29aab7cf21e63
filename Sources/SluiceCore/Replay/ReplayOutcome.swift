/// A decision as the replay compares them: what happened to the connection and which rule said so.
public struct ReplayOutcome: Sendable, Hashable {
    public var action: RuleAction
    /// False for a policy in monitor mode (a deny reported, not enforced).
    public var enforced: Bool
    public var policy: String?
    public var rule: String

    public init(action: RuleAction, enforced: Bool, policy: String?, rule: String) {
        self.action = action
        self.enforced = enforced
        self.policy = policy
        self.rule = rule
    }

    /// What the event recorded.
    public init(recorded event: DecisionEvent) {
        self.init(action: event.verdict, enforced: event.enforced, policy: event.policy, rule: event.rule)
    }

    /// What the engine decided, named as the agent names events (`EventEnricher`).
    public init(decision: Decision, rule: RuleInfo?) {
        self.init(
            action: decision.verdict.action, enforced: !decision.verdict.monitor, policy: rule?.policy,
            rule: rule?.rule ?? (decision.byDefault ? "default" : "rule-\(decision.verdict.ruleID)"))
    }

    /// Whether the connection fails with EPERM.
    public var blocks: Bool { action == .deny && enforced }

    /// `allow`, `deny`, `deny (monitor)`: the outcome without the rule.
    public var label: String { action.rawValue + (action != .allow && !enforced ? " (monitor)" : "") }

    /// `web/egress[0]`, or the rule alone for the built-in node default.
    public var ruleName: String { policy.map { "\($0)/\(rule)" } ?? rule }

    public var description: String { "\(label) by \(ruleName)" }
}
