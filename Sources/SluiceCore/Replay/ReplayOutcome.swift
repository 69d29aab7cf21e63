/// A decision as the replay compares them: what happened to the connection and which rule said so.
public struct ReplayOutcome: Sendable, Hashable {
    public let action: RuleAction
    /// False for a policy in monitor mode (a deny reported, not enforced).
    public let enforced: Bool
    public let policy: String?
    public let rule: String
    /// `allow`, `deny`, `deny (monitor)`: the outcome without the rule.
    public let label: String
    /// `web/egress[0]`, the rule alone for the built-in node default, or `feed F indicator I`
    /// when a feed layer decided.
    public let ruleName: String
    /// The feed indicator that decided over the policy's verdict; the policy's rule stays in
    /// `policy` and `rule`, as the kernel's event keeps it.
    public let intel: IntelHit?
    /// The deciding `rate-limit` rule's rate, which the replay runs each application's
    /// connects through (`ReplayRateLimits`); nil when no rate limit decided.
    public let rate: ConnectionRate?
    /// The deciding allow or alert rule's byte quota, which the replay does not run (it sees
    /// connects, not bytes); nil when the rule has none.
    public let quota: Quota?

    public init(
        action: RuleAction, enforced: Bool, policy: String?, rule: String, intel: IntelHit? = nil, rate: ConnectionRate? = nil, quota: Quota? = nil
    ) {
        self.action = action
        self.enforced = enforced
        self.policy = policy
        self.rule = rule
        self.intel = intel
        self.rate = rate
        self.quota = quota
        // Made once per outcome: the replay compares and shows them per event.
        label = action.rawValue + (action != .allow && !enforced ? " (monitor)" : "")
        ruleName = intel.map { "feed \($0.feed) indicator \($0.indicator)" } ?? policy.map { "\($0)/\(rule)" } ?? rule
    }

    /// What the event recorded.
    public init(recorded event: DecisionEvent) {
        self.init(
            action: event.verdict, enforced: event.enforced, policy: event.policy, rule: event.rule,
            intel: event.intel?.outcome == .decided ? event.intel : nil)
    }

    /// What the engine decided, named as the agent names events (`EventEnricher`), after the
    /// feed layers' live `indicator` for the destination by the kernel's precedence
    /// (`IntelPrecedence`): a decided hit replaces the action and is enforced.
    public init(decision: Decision, rule: RuleInfo?, feed indicator: IntelIndicator? = nil) {
        let name = rule?.rule ?? (decision.byDefault ? "default" : "rule-\(decision.verdict.ruleID)")
        if let indicator, IntelPrecedence.outcome(policy: decision.verdict, explicitAllow: decision.explicitAllow, feed: indicator.action) == .decided {
            self.init(
                action: indicator.action == .deny ? .deny : .alert, enforced: true, policy: rule?.policy, rule: name,
                intel: IntelHit(feed: indicator.feed, indicator: indicator.indicator, outcome: .decided))
        } else {
            self.init(
                action: decision.verdict.action, enforced: !decision.verdict.monitor, policy: rule?.policy, rule: name,
                rate: decision.verdict.action == .rateLimit ? rule?.rate : nil,
                quota: decision.verdict.action == .allow || decision.verdict.action == .alert ? rule?.quota : nil)
        }
    }

    /// A rate-limit rule's outcome for a connect its bucket admitted: the kernel records it as
    /// an allow by that rule.
    public var admitted: ReplayOutcome {
        ReplayOutcome(action: .allow, enforced: enforced, policy: policy, rule: rule, rate: rate)
    }

    /// Whether this replayed outcome is what the node recorded in `event`. Some outcomes hang on
    /// state the replay does not have: the bucket a rate limit had before the replayed range
    /// (so an admitted connect and a refused one both reproduce that rule deciding), and an
    /// allow or alert rule records `quota` when its byte quota refused it.
    public func reproduces(_ event: DecisionEvent) -> Bool {
        reproduces(verdict: event.verdict, enforced: event.enforced, policy: event.policy, rule: event.rule)
    }

    /// `reproduces(_:)` from the recorded fields.
    func reproduces(verdict: RuleAction, enforced: Bool, policy: String?, rule: String) -> Bool {
        guard self.policy == policy, self.rule == rule, self.enforced == enforced else { return false }
        switch (verdict, action) {
        case let (recorded, replayed) where recorded == replayed: return true
        case (.allow, .rateLimit), (.rateLimit, .allow), (.quota, .allow), (.quota, .alert): return true
        default: return false
        }
    }

    /// Whether the connection fails with EPERM.
    public var blocks: Bool { action == .deny && enforced }

    /// Whether a rate limit refuses the connection (EAGAIN): what its bucket said, once the
    /// replay ran it.
    public var rateLimits: Bool { action == .rateLimit && enforced }

    public var description: String { "\(label) by \(ruleName)" }
}
