/// Which events a subscriber wants: `sluice events --verdict deny --exe /usr/bin/curl
/// --domain '*.example.com'`.
public struct EventFilter: Sendable, Hashable, Codable {
    public var verdicts: Set<RuleAction>
    /// Executable path; matches the event's `exe` exactly.
    public var executable: String?
    /// Cgroup path; matches that cgroup and the cgroups below it.
    public var cgroup: String?
    public var node: String?
    /// The name the application looked up (`dst_domain`).
    public var domain: DomainFilter?
    /// Decisions, flow records, or (empty) both.
    public var kinds: Set<EventKind>

    public init(
        verdicts: Set<RuleAction> = [], executable: String? = nil, cgroup: String? = nil, node: String? = nil, domain: DomainFilter? = nil,
        kinds: Set<EventKind> = []
    ) {
        self.verdicts = verdicts
        self.executable = executable
        self.cgroup = cgroup.map(Self.normalizeCgroup)
        self.node = node
        self.domain = domain
        self.kinds = kinds
    }

    public func matches(_ event: DecisionEvent) -> Bool {
        if !verdicts.isEmpty && !verdicts.contains(event.verdict) { return false }
        if !kinds.isEmpty && !kinds.contains(event.kind) { return false }
        if let executable, event.exe != executable { return false }
        if let node, event.node != node { return false }
        if let domain, !domain.matches(event.dstDomain) { return false }
        if let cgroup {
            guard let eventCgroup = event.cgroup.map(Self.normalizeCgroup) else { return false }
            if cgroup != "/" && eventCgroup != cgroup && !eventCgroup.hasPrefix(cgroup + "/") { return false }
        }
        return true
    }

    /// `/app.slice/web.service` whatever slashes were written.
    public static func normalizeCgroup(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }
}
