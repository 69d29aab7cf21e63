/// Whether a policy blocks or only reports what it would do.
public enum PolicyMode: String, Hashable, Sendable, Codable, CaseIterable {
    case enforce, monitor
}

/// What a policy's denies do to connections already open when they come into force.
public enum ExistingConnections: String, Hashable, Sendable, Codable, CaseIterable {
    /// End them (TCP gets ECONNABORTED and the peer a reset; connected UDP gets ECONNABORTED).
    case close
    /// Leave them open; only new connections are denied.
    case keep
}

/// What `spec.rawSockets` and `spec.encryptedDNS` may say: a setting either grants or refuses.
enum AllowOrDeny: String, CaseIterable {
    case allow, deny
}

/// What a rule or default does with a connection.
public enum RuleAction: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// Let the connection through.
    case allow
    /// Let it through and flag the event.
    case alert
    /// Let the application make at most the rule's `rate` of new connections; fail the rest
    /// with EAGAIN (a rule's action only: it needs the rule's rate).
    case rateLimit = "rate-limit"
    /// Connect to the rule's local `redirect` target instead; the application still sees the
    /// original destination as its peer (a rule's action only: it needs the target).
    case redirect
    /// Fail the connect or send with EPERM.
    case deny
    /// Never written in a policy: an allow or alert rule's `quota` refused the connect (EDQUOT)
    /// or cut the connection, as events record it.
    case quota

    /// On a tie between rules of equal specificity the more severe action wins.
    public var severity: Int {
        switch self {
        case .allow: return 1
        case .alert: return 2
        case .rateLimit: return 3
        case .redirect: return 4
        case .deny: return 5
        case .quota: return 6
        }
    }

    /// The actions a policy may write (`quota` is what a rule's quota did, not an action).
    public static let written: [RuleAction] = WrittenAction.allCases.map(\.action)

    /// What an event's `verdict` says when this action decided: a rate limit's refusal reads
    /// `rate-limited` (an admitted connect is an `allow` by the rate rule), a redirect
    /// `redirected`.
    public var verdictName: String {
        switch self {
        case .rateLimit: "rate-limited"
        case .redirect: "redirected"
        default: rawValue
        }
    }

    /// From an event's `verdict` (or the action's own name).
    public init?(verdictName: String) {
        guard let action = Self.allCases.first(where: { $0.verdictName == verdictName }) ?? Self(rawValue: verdictName) else { return nil }
        self = action
    }

    /// Whether the action needs fields only a rule carries (`rate`, `redirect`), so that a
    /// default (or `rawSockets`, `encryptedDNS`) cannot say it.
    public var needsRuleParameters: Bool { self == .rateLimit || self == .redirect }

    public static func < (lhs: RuleAction, rhs: RuleAction) -> Bool { lhs.severity < rhs.severity }
}

/// Whose traffic a policy governs.
public enum Subject: Hashable, Sendable, CustomStringConvertible {
    /// Processes running this executable (by device and inode once compiled).
    case executable(String)
    /// Processes in this cgroup or below it; the path is relative to the cgroup2 mount or absolute.
    case cgroup(String)
    /// Processes running this executable inside this cgroup (or below it).
    case executableInCgroup(executable: String, cgroup: String)

    /// Rank in the precedence order: lower is more specific (DESIGN.md).
    public var precedence: Int {
        switch self {
        case .executableInCgroup: return 0
        case .executable: return 1
        case .cgroup: return 2
        }
    }

    public var description: String {
        switch self {
        case .executable(let path): return "executable \(path)"
        case .cgroup(let path): return "cgroup \(path)"
        case .executableInCgroup(let executable, let cgroup): return "executable \(executable) in cgroup \(cgroup)"
        }
    }
}

/// One `egress` entry of a policy.
public struct EgressRule: Hashable, Sendable {
    /// Optional name given by the author; events show it instead of `egress[N]`.
    public var name: String?
    public var action: RuleAction
    /// Address blocks; with `names` and `hostDestination` also empty, any address of either family.
    public var destinations: [Located<IPPrefix>]
    /// Names and wildcards the application looked up (`api.github.com`, `*.github.com`): the
    /// rule also covers connects the kernel attributes to a matching name.
    public var names: [Located<NamePattern>]
    /// Ports; empty means any port.
    public var ports: [Located<PortRange>]
    public var transport: TransportProtocol
    /// The rate of a `rate-limit` rule (nil for every other action).
    public var rate: Located<ConnectionRate>?
    /// The local target of a `redirect` rule (nil for every other action).
    public var redirect: Located<RedirectTarget>?
    /// The bytes an `allow` or `alert` rule lets a connection (or an application per window)
    /// send and receive; nil for none.
    public var quota: Located<Quota>?
    /// Where `to` names `host`, the node's own addresses: only the node knows them, so the
    /// compiler expands it (`SubjectResolver.hostAddresses`), not the parser. With no other
    /// destination the rule covers the host only, not every address.
    public var hostDestination: Located<String>?
    /// Position in the policy's `egress` list.
    public var index: Int
    public var location: SourceLocation

    public init(
        name: String? = nil, action: RuleAction, destinations: [Located<IPPrefix>], names: [Located<NamePattern>] = [],
        ports: [Located<PortRange>], transport: TransportProtocol, hostDestination: Located<String>? = nil,
        rate: Located<ConnectionRate>? = nil, redirect: Located<RedirectTarget>? = nil, quota: Located<Quota>? = nil, index: Int,
        location: SourceLocation
    ) {
        self.quota = quota
        self.rate = rate
        self.redirect = redirect
        self.names = names
        self.hostDestination = hostDestination
        self.name = name
        self.action = action
        self.destinations = destinations
        self.ports = ports
        self.transport = transport
        self.index = index
        self.location = location
    }

    /// Whether `to` lists nothing: the rule covers every address of both families.
    public var coversAnyDestination: Bool { destinations.isEmpty && names.isEmpty && hostDestination == nil }

    /// How events and `policy explain` name this rule.
    public var label: String { name ?? "egress[\(index)]" }
}

/// One policy document (`kind: Policy`).
public struct Policy: Hashable, Sendable {
    public var name: String
    public var description: String?
    public var labels: [String: String]
    public var mode: PolicyMode
    /// Empty: the policy is about the node default.
    public var subjects: [Located<Subject>]
    /// What the subjects' unmatched traffic gets; nil lets it fall through to less specific
    /// subjects, and the node default is allow when no policy sets it.
    public var defaultAction: Located<RuleAction>?
    public var egress: [EgressRule]
    /// How anomalies of the subjects' traffic become rules; nil leaves it to less specific
    /// policies and the agent's default.
    public var learning: Located<LearningSettings>?
    /// The server raises an alert for every deny this policy decides (alert rules always do).
    public var alertOnDeny: Bool
    /// Whether the policy's denies end connections already open (`spec.existingConnections`).
    public var existingConnections: ExistingConnections = .close
    /// Whether the subjects may create raw IP sockets and ping sockets (`spec.rawSockets`): the
    /// same as a rule `{action: A, protocol: raw}`; nil leaves it to the rules and defaults.
    public var rawSockets: Located<RuleAction>?
    /// Whether the subjects may resolve names over encrypted DNS (`spec.encryptedDNS`), which
    /// name rules cannot see: rules with this action for port 853 and for the known DoH
    /// resolvers (`EncryptedDNSResolvers`); nil adds none.
    public var encryptedDNS: Located<RuleAction>?
    /// Where the document starts.
    public var location: SourceLocation

    public init(
        name: String, description: String? = nil, labels: [String: String] = [:], mode: PolicyMode = .enforce,
        subjects: [Located<Subject>] = [], defaultAction: Located<RuleAction>? = nil, egress: [EgressRule] = [],
        learning: Located<LearningSettings>? = nil, alertOnDeny: Bool = false,
        existingConnections: ExistingConnections = .close, rawSockets: Located<RuleAction>? = nil,
        encryptedDNS: Located<RuleAction>? = nil, location: SourceLocation
    ) {
        self.encryptedDNS = encryptedDNS
        self.rawSockets = rawSockets
        self.existingConnections = existingConnections
        self.name = name
        self.description = description
        self.labels = labels
        self.mode = mode
        self.subjects = subjects
        self.defaultAction = defaultAction
        self.egress = egress
        self.learning = learning
        self.alertOnDeny = alertOnDeny
        self.location = location
    }

    public var isNodeDefault: Bool { subjects.isEmpty }
}

/// Every policy in force together: what a policy folder (or the server) holds.
public struct PolicySet: Hashable, Sendable {
    public var policies: [Policy]

    public init(_ policies: [Policy] = []) {
        self.policies = policies
    }

    public static let empty = PolicySet()
}
