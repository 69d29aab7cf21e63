/// A rule the agent learned from an anomaly: narrowly scoped, explained, and temporary unless an
/// administrator approves it.
public struct LearnedRule: Sendable, Hashable, Codable, Identifiable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// Waiting for review (learning mode `suggest`, or refused for enforcement).
        case proposed
        /// In the kernel (learning mode `enforce`), until it expires.
        case installed
        /// Made permanent policy by an administrator.
        case approved
        /// Refused by an administrator: the baseline learned that this traffic is normal.
        case rejected
        /// Removed by an administrator before it expired.
        case revoked
        case expired
    }

    /// `lr-` and 8 hex digits, stable for one scope and creation time.
    public var id: String
    public var executable: String?
    public var cgroup: String?
    /// A single address (/32 or /128).
    public var destination: String
    public var port: UInt16
    public var transport: TransportProtocol
    public var action: RuleAction
    /// A `rate-limit` rule's rate.
    public var rate: ConnectionRate?
    /// Why it exists: the verdict chosen and why, then the features and values that drove it.
    public var reasons: [String]
    public var score: Double
    public var threshold: Double
    /// Nanoseconds since the Unix epoch.
    public var created: Int64
    public var expires: Int64
    public var state: State
    /// Why it was not installed, when it was proposed in enforce mode but refused.
    public var note: String?
    /// Anomalous events that pointed at this scope.
    public var evidence: Int
    /// Decisions this rule made in the kernel.
    public var hits: Int
    public var lastHit: Int64?
    /// The policy file an approval wrote into the policy folder.
    public var policyFile: String?

    public init(
        id: String, executable: String?, cgroup: String?, destination: String, port: UInt16, transport: TransportProtocol,
        action: RuleAction, reasons: [String], score: Double, threshold: Double, created: Int64, expires: Int64,
        state: State, note: String? = nil, evidence: Int = 1, hits: Int = 0, lastHit: Int64? = nil
    ) {
        self.id = id
        self.executable = executable
        self.cgroup = cgroup
        self.destination = destination
        self.port = port
        self.transport = transport
        self.action = action
        self.reasons = reasons
        self.score = score
        self.threshold = threshold
        self.created = created
        self.expires = expires
        self.state = state
        self.note = note
        self.evidence = evidence
        self.hits = hits
        self.lastHit = lastHit
    }

    /// What the rule covers; two rules with one scope must agree.
    public struct Scope: Hashable, Sendable {
        public var executable: String?
        public var cgroup: String?
        public var destination: String
        public var port: UInt16
        public var transport: TransportProtocol
    }

    public var scope: Scope {
        Scope(executable: executable, cgroup: cgroup, destination: destination, port: port, transport: transport)
    }

    /// The policy subject the rule is written for: as narrow as the evidence allows. Events carry
    /// cgroups as `/a/b` below the cgroup2 mount; policy writes them relative: `a/b`.
    public var subject: Subject? {
        let relative = cgroup.map { String($0.drop(while: { $0 == "/" })) }
        switch (executable, relative) {
        case let (exe?, cgroup?): return .executableInCgroup(executable: exe, cgroup: cgroup)
        case let (exe?, nil): return .executable(exe)
        case let (nil, cgroup?): return .cgroup(cgroup)
        case (nil, nil): return nil
        }
    }

    /// Whether it is (or should be) in the kernel.
    public var isActive: Bool { state == .installed }

    /// The name of the policy the rule compiles into; events carry it.
    public var policyName: String { "learned-\(id)" }
}
