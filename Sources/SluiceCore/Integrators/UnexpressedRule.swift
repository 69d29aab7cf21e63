/// Part of a policy (or a feed) a firewall target cannot enforce, reported rather than dropped
/// silently: `sluice export` prints these on stderr and in its JSON report, and `--strict`
/// makes any of them fail the export.
public struct UnexpressedRule: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Why it cannot be written, and so what the target does instead.
    public enum Reason: String, Hashable, Sendable, Codable {
        /// The rule's subject is an executable: a packet filter sees sockets and cgroups, not
        /// what a process executed. The subject's rules are left out; its traffic is decided by
        /// the cgroup and node rules.
        case executableSubject = "executable-subject"
        /// The rule names domain names: without the agent's DNS attribution the target cannot
        /// tell which name a connection was for. Its address destinations are still written.
        case nameDestination = "name-destination"
        /// A redirect needs the agent's connect-time rewrite; the rule's entries are left out.
        case redirect
        /// The quota is per connection or per application and window; nft's quota objects are
        /// neither. The rule is written without it.
        case quota
        /// Raw and ping sockets are decided at socket creation, which a packet filter does not see.
        case rawSockets = "raw-sockets"
        /// A feed's domain indicators need a resolver the target does not have.
        case domainIndicators = "domain-indicators"
    }

    public var reason: Reason
    /// The policy's name, or the feed's for `domainIndicators`.
    public var policy: String?
    /// The rule's label (`egress[2]`, its name, `default`), or how many indicators.
    public var rule: String
    /// Where the rule is written (`file:line`).
    public var location: String?
    public var subject: String

    public init(reason: Reason, policy: String?, rule: String, location: String?, subject: String) {
        self.reason = reason
        self.policy = policy
        self.rule = rule
        self.location = location
        self.subject = subject
    }

    public var description: String {
        let what: String
        switch reason {
        case .executableSubject: what = "its subject is an executable, which a packet filter cannot see: left out"
        case .nameDestination: what = "its domain-name destinations need the agent's DNS attribution: left out (its addresses are written)"
        case .redirect: what = "a redirect needs the agent: left out"
        case .quota: what = "its quota is per connection or per application window, which nft cannot count: written without it"
        case .rawSockets: what = "raw and ping sockets are decided at socket creation, which a packet filter does not see: left out"
        case .domainIndicators: what = "domain indicators need a resolver: left out"
        }
        let name = policy.map { "\($0)/\(rule)" } ?? rule
        return "\(location.map { "\($0): " } ?? "")\(name) (\(subject)): \(what)"
    }
}
