/// What a rule id stands for: events and `policy explain` show these names.
public struct RuleInfo: Hashable, Sendable, Codable {
    public var id: UInt32
    /// The policy's name; nil for the built-in node default.
    public var policy: String?
    /// The rule's label (`egress[2]`, its `name`, or `default`).
    public var rule: String
    public var action: RuleAction
    public var mode: PolicyMode
    /// The subject(s) the rule was written for, for people.
    public var subject: String
    public var location: SourceLocation?
    /// A `rate-limit` rule's rate, which the kernel's token buckets follow.
    public var rate: ConnectionRate?
    /// A `redirect` rule's target.
    public var redirect: RedirectTarget?
    /// An allow or alert rule's quota.
    public var quota: Quota?

    public init(
        id: UInt32, policy: String?, rule: String, action: RuleAction, mode: PolicyMode, subject: String,
        location: SourceLocation?, rate: ConnectionRate? = nil, redirect: RedirectTarget? = nil, quota: Quota? = nil
    ) {
        self.quota = quota
        self.rate = rate
        self.redirect = redirect
        self.id = id
        self.policy = policy
        self.rule = rule
        self.action = action
        self.mode = mode
        self.subject = subject
        self.location = location
    }

    /// Rule 0: the node default when no policy sets one.
    public static let builtInDefault = RuleInfo(
        id: 0, policy: nil, rule: "node-default", action: .allow, mode: .enforce, subject: "node", location: nil)
}

/// An action as compiled: which rule, what it does, and whether it only reports.
public struct Verdict: Hashable, Sendable, Codable {
    public var ruleID: UInt32
    public var action: RuleAction
    public var monitor: Bool
    /// A deny leaves connections already open (`existingConnections: keep`).
    public var keepOpen: Bool
    /// The rule has a quota, which the kernel reads only then.
    public var hasQuota: Bool

    public init(ruleID: UInt32, action: RuleAction, monitor: Bool, keepOpen: Bool = false, hasQuota: Bool = false) {
        self.hasQuota = hasQuota
        self.ruleID = ruleID
        self.action = action
        self.monitor = monitor
        self.keepOpen = keepOpen
    }

    enum CodingKeys: String, CodingKey {
        case ruleID, action, monitor, keepOpen, hasQuota
    }

    /// `keepOpen` and `hasQuota` may be missing: records written before they existed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ruleID = try container.decode(UInt32.self, forKey: .ruleID)
        action = try container.decode(RuleAction.self, forKey: .action)
        monitor = try container.decode(Bool.self, forKey: .monitor)
        keepOpen = try container.decodeIfPresent(Bool.self, forKey: .keepOpen) ?? false
        hasQuota = try container.decodeIfPresent(Bool.self, forKey: .hasQuota) ?? false
    }

    /// Whether the connection fails with EPERM.
    public var blocks: Bool { action == .deny && !monitor }
}

/// One destination of one rule for one subject: the unit the kernel matches.
public struct DestinationEntry: Hashable, Sendable {
    public var destination: EntryDestination
    public var ports: PortRange
    public var transport: TransportProtocol
    public var verdict: Verdict

    public init(destination: EntryDestination, ports: PortRange, transport: TransportProtocol, verdict: Verdict) {
        self.destination = destination
        self.ports = ports
        self.transport = transport
        self.verdict = verdict
    }

    /// An entry for an address block.
    public init(prefix: IPPrefix, ports: PortRange, transport: TransportProtocol, verdict: Verdict) {
        self.init(destination: .prefix(prefix), ports: ports, transport: transport, verdict: verdict)
    }

    /// An entry for a name or wildcard.
    public init(name: NamePattern, ports: PortRange, transport: TransportProtocol, verdict: Verdict) {
        self.init(destination: .name(name), ports: ports, transport: transport, verdict: verdict)
    }

    /// The address block, or nil for a name entry.
    public var prefix: IPPrefix? {
        if case .prefix(let prefix) = destination { return prefix }
        return nil
    }

    /// The name or wildcard, or nil for an address entry.
    public var namePattern: NamePattern? {
        if case .name(let pattern) = destination { return pattern }
        return nil
    }

    /// Precedence within one prefix or name pattern (DESIGN.md): exact port, then narrower range, then any
    /// port; a specific protocol before any; on a tie the more severe action.
    static func precedes(_ lhs: DestinationEntry, _ rhs: DestinationEntry) -> Bool {
        if lhs.ports.width != rhs.ports.width { return lhs.ports.width < rhs.ports.width }
        let lhsAny = lhs.transport == .any
        let rhsAny = rhs.transport == .any
        if lhsAny != rhsAny { return !lhsAny }
        if lhs.verdict.action != rhs.verdict.action { return lhs.verdict.action > rhs.verdict.action }
        // An enforced deny outranks a monitored one: the tie fails closed.
        if lhs.verdict.monitor != rhs.verdict.monitor { return !lhs.verdict.monitor }
        // Likewise a deny that ends open connections outranks one that keeps them.
        if lhs.verdict.keepOpen != rhs.verdict.keepOpen { return !lhs.verdict.keepOpen }
        if lhs.ports.lower != rhs.ports.lower { return lhs.ports.lower < rhs.ports.lower }
        return lhs.verdict.ruleID < rhs.verdict.ruleID
    }
}

/// How the kernel finds a subject: the key of `sluice_subjects`.
public enum SubjectKey: Hashable, Sendable, CustomStringConvertible {
    case executableInCgroup(ExecutableIdentity, CgroupIdentity)
    case executable(ExecutableIdentity)
    case cgroup(CgroupIdentity)

    public var description: String {
        switch self {
        case .executableInCgroup(let exe, let cgroup): return "executable \(exe) in cgroup \(cgroup)"
        case .executable(let exe): return "executable \(exe)"
        case .cgroup(let cgroup): return "cgroup \(cgroup)"
        }
    }
}

/// The rules and default of one kernel subject (or of the node).
public struct CompiledSubject: Hashable, Sendable {
    /// The policy subjects (paths) that resolved to this kernel subject, for people.
    public var names: [String]
    /// The subject's own default; nil falls through to less specific subjects.
    public var fallback: Verdict?
    public var entries: [DestinationEntry]

    public init(names: [String], fallback: Verdict?, entries: [DestinationEntry]) {
        self.names = names
        self.fallback = fallback
        self.entries = entries
    }
}

/// A policy set compiled against this node's executables and cgroups.
public struct CompiledPolicy: Sendable {
    /// Indexed by rule id.
    public var rules: [RuleInfo]
    public var node: CompiledSubject
    public var subjects: [SubjectKey: CompiledSubject]
    /// Warnings (subjects not present yet) and errors (contradictions between hard links).
    public var diagnostics: [PolicyDiagnostic]
    /// Executable paths the compile depended on, to re-resolve when they change.
    public var executablePaths: Set<String>
    /// Cgroup paths the compile depended on.
    public var cgroupPaths: Set<String>
    /// Which ids each rule got, to keep them in the next compile.
    public var ruleSignatures: [RuleSignature: [UInt32]]
    /// The executable paths policies name, as the kernel finds them at exec.
    public var governedNames: [GovernedName: ExecutableIdentity] = [:]
    /// The node addresses `host` was expanded with; nil when no rule names `host`, so an
    /// address change needs no recompile.
    public var hostAddresses: [IPAddress]?

    public init(
        rules: [RuleInfo], node: CompiledSubject, subjects: [SubjectKey: CompiledSubject],
        diagnostics: [PolicyDiagnostic], executablePaths: Set<String>, cgroupPaths: Set<String>,
        ruleSignatures: [RuleSignature: [UInt32]] = [:], hostAddresses: [IPAddress]? = nil
    ) {
        self.hostAddresses = hostAddresses
        self.rules = rules
        self.node = node
        self.subjects = subjects
        self.diagnostics = diagnostics
        self.executablePaths = executablePaths
        self.cgroupPaths = cgroupPaths
        self.ruleSignatures = ruleSignatures
    }

    /// Destination entries over all subjects: what "rules loaded" counts.
    public var entryCount: Int {
        subjects.values.reduce(node.entries.count) { $0 + $1.entries.count }
    }

    public func rule(_ id: UInt32) -> RuleInfo? {
        Int(id) < rules.count ? rules[Int(id)] : nil
    }
}
