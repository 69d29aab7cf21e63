/// A decision as the replay compares them: what happened to the connection and which rule said so.
public struct ReplayOutcome: Sendable, Hashable {
    public let action: RuleAction
    /// False for a policy in monitor mode (a deny reported, not enforced).
    public let enforced: Bool
    public let policy: String?
    public let rule: String
    /// `allow`, `deny`, `deny (monitor)`: the outcome without the rule.
    public let label: String
    /// `web/egress[0]`, or the rule alone for the built-in node default.
    public let ruleName: String

    public init(action: RuleAction, enforced: Bool, policy: String?, rule: String) {
        self.action = action
        self.enforced = enforced
        self.policy = policy
        self.rule = rule
        // Made once per outcome: the replay compares and shows them per event.
        label = action.rawValue + (action != .allow && !enforced ? " (monitor)" : "")
        ruleName = policy.map { "\($0)/\(rule)" } ?? rule
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

    /// Whether this replayed outcome is what the node recorded in `event`. Some outcomes hang on
    /// state the replay does not have: a rate limit records `allow` when its bucket admitted the
    /// connect, an allow or alert rule records `quota` when its byte quota refused it; that rule
    /// deciding reproduces them too.
    public func reproduces(_ event: DecisionEvent) -> Bool {
        guard policy == event.policy, rule == event.rule, enforced == event.enforced else { return false }
        switch (event.verdict, action) {
        case let (recorded, replayed) where recorded == replayed: return true
        case (.allow, .rateLimit), (.quota, .allow), (.quota, .alert): return true
        default: return false
        }
    }

    /// Whether the connection fails with EPERM.
    public var blocks: Bool { action == .deny && enforced }

    public var description: String { "\(label) by \(ruleName)" }
}
