/// `sluice policy explain`'s answer: what the kernel would decide and why, for people and JSON.
public struct Explanation: Sendable, Hashable, Codable {
    public var verdict: RuleAction
    /// Whether the connection would fail with EPERM (a deny not in monitor mode).
    public var blocks: Bool
    public var monitor: Bool
    public var policy: String?
    public var rule: String
    public var ruleLocation: String?
    /// The subject that decided (`node` when the node default or node rules decided).
    public var subject: String
    public var byDefault: Bool
    public var matchedPrefix: String?
    /// The name or wildcard of the deciding rule (`*.github.com`), when a name rule decided.
    public var matchedName: String?
    public var trace: [String]
    public var generation: UInt32?
    /// A rate-limit rule's rate: the application's connections beyond it fail with EAGAIN.
    public var rate: ConnectionRate?
    /// A redirect rule's target: where the connection goes instead.
    public var redirect: RedirectTarget?
    /// An allow or alert rule's quota.
    public var quota: Quota?
    /// A feed layer's indicator that matched, and which way it went (Explanation+Intel).
    public var intel: IntelExplanation?

    public init(decision: Decision, rule: RuleInfo?, generation: UInt32?) {
        verdict = decision.verdict.action
        blocks = decision.verdict.blocks
        monitor = decision.verdict.monitor
        policy = rule?.policy
        self.rule = rule?.rule ?? (decision.byDefault ? "default" : "rule-\(decision.verdict.ruleID)")
        ruleLocation = rule?.location?.description
        subject = decision.subject?.description ?? "node"
        byDefault = decision.byDefault
        matchedPrefix = decision.matchedPrefix?.description
        matchedName = decision.matchedName?.description
        trace = decision.trace
        self.generation = generation
        rate = decision.verdict.action == .rateLimit ? rule?.rate : nil
        redirect = decision.verdict.action == .redirect ? rule?.redirect : nil
        quota = rule?.quota
    }

    /// A few lines for a terminal.
    public var text: String {
        var lines = ["\(verdict.rawValue.uppercased())\(monitor ? " (monitor mode: reported, not enforced)" : blocks ? " (the call fails with EPERM)" : "")"]
        if let rate {
            lines[0] += " \(rate): allowed while the application (executable in its cgroup) stays within it, "
                + (monitor ? "reported as rate-limited beyond" : "failing with EAGAIN beyond")
        }
        if let quota {
            lines[0] += " with a quota of \(quota)" + (monitor ? " (reported, never cut)" : ": cut beyond it")
        }
        if let redirect {
            lines[0] += " to \(redirect)" + (monitor ? " (reported only: the connection goes where it was meant to)" : "; the application still sees the original destination as its peer")
        }
        let ruleName = policy.map { "rule \(rule) of policy \($0)" } ?? (rule == "node-default" ? "the built-in node default (allow)" : "rule \(rule)")
        lines.append("  decided by: \(ruleName)\(ruleLocation.map { " at \($0)" } ?? "")")
        lines.append("  subject:    \(subject)\(byDefault ? " (its default: no rule matched)" : "")")
        if let matchedPrefix { lines.append("  matched:    \(matchedPrefix)") }
        if let matchedName { lines.append("  matched:    name \(matchedName)") }
        if let intelLine { lines.append(intelLine) }
        lines.append("  trace:")
        lines += trace.map { "    \($0)" }
        return lines.joined(separator: "\n")
    }
}
