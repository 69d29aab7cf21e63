/// One decision, enriched for people and tools: the schema of `sluice events --output json`.
public struct DecisionEvent: Sendable, Hashable, Codable {
    /// Wall-clock time of the decision, nanoseconds since the Unix epoch.
    public var timeNanoseconds: Int64
    public var node: String
    public var pid: UInt32
    public var uid: UInt32
    public var comm: String
    /// Executable path; nil when it could not be found (the process exited, a kernel thread).
    public var exe: String?
    /// `major:minor:inode` of the executable, what the kernel matched.
    public var exeID: String?
    /// Cgroup path relative to the cgroup2 mount, with a leading slash.
    public var cgroup: String?
    public var cgroupID: UInt64
    /// `tcp`, `udp`, or the protocol number.
    public var transport: String
    public var family: IPAddress.Family
    public var destination: IPAddress
    public var port: UInt16
    public var verdict: RuleAction
    /// False when the deciding policy is in monitor mode (a deny did not block).
    public var enforced: Bool
    public var policy: String?
    public var rule: String
    /// `connect4`, `connect6`, `sendmsg4` or `sendmsg6`.
    public var hook: String
    public var generation: UInt32
    /// An IPv4-mapped IPv6 destination decided by the IPv4 rules.
    public var mapped: Bool
    /// The caller wrote 0.0.0.0 or ::, decided as the loopback address in `destination`; nil
    /// (left out of JSON) otherwise.
    public var unspecified: Bool?
    /// An open connection ended because a new policy denies it (`hook` is `close-tcp` or
    /// `close-udp`); nil otherwise.
    public var closed: Bool?
    /// The anomaly score (bits; higher is more anomalous), when the agent scored the event.
    public var score: Double?
    /// The score passed the application's threshold after its warm-up.
    public var anomaly: Bool?
    /// The features that drove the score, most first.
    public var reasons: [String]?

    public init(
        timeNanoseconds: Int64, node: String, pid: UInt32, uid: UInt32, comm: String, exe: String?, exeID: String?,
        cgroup: String?, cgroupID: UInt64, transport: String, family: IPAddress.Family, destination: IPAddress, port: UInt16,
        verdict: RuleAction, enforced: Bool, policy: String?, rule: String, hook: String, generation: UInt32, mapped: Bool,
        unspecified: Bool? = nil, closed: Bool? = nil, score: Double? = nil, anomaly: Bool? = nil, reasons: [String]? = nil
    ) {
        self.unspecified = unspecified
        self.closed = closed
        self.timeNanoseconds = timeNanoseconds
        self.node = node
        self.pid = pid
        self.uid = uid
        self.comm = comm
        self.exe = exe
        self.exeID = exeID
        self.cgroup = cgroup
        self.cgroupID = cgroupID
        self.transport = transport
        self.family = family
        self.destination = destination
        self.port = port
        self.verdict = verdict
        self.enforced = enforced
        self.policy = policy
        self.rule = rule
        self.hook = hook
        self.generation = generation
        self.mapped = mapped
        self.score = score
        self.anomaly = anomaly
        self.reasons = reasons
    }

    enum CodingKeys: String, CodingKey {
        case time, node, pid, uid, comm, exe
        case exeID = "exe_id"
        case cgroup
        case cgroupID = "cgroup_id"
        case transport = "protocol"
        case family
        case destination = "dst_ip"
        case port = "dst_port"
        case verdict, enforced, policy, rule, hook, generation, mapped, unspecified, closed, score, anomaly, reasons
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let timeText = try container.decode(String.self, forKey: .time)
        guard let time = RFC3339.parse(timeText) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "\(timeText) is not an RFC 3339 time")
        }
        timeNanoseconds = time
        let destinationText = try container.decode(String.self, forKey: .destination)
        guard let address = IPAddress(destinationText) else {
            throw DecodingError.dataCorruptedError(forKey: .destination, in: container, debugDescription: "\(destinationText) is not an IP address")
        }
        destination = address
        node = try container.decodeIfPresent(String.self, forKey: .node) ?? ""
        pid = try container.decodeIfPresent(UInt32.self, forKey: .pid) ?? 0
        uid = try container.decodeIfPresent(UInt32.self, forKey: .uid) ?? 0
        comm = try container.decodeIfPresent(String.self, forKey: .comm) ?? ""
        exe = try container.decodeIfPresent(String.self, forKey: .exe)
        exeID = try container.decodeIfPresent(String.self, forKey: .exeID)
        cgroup = try container.decodeIfPresent(String.self, forKey: .cgroup)
        cgroupID = try container.decodeIfPresent(UInt64.self, forKey: .cgroupID) ?? 0
        transport = try container.decodeIfPresent(String.self, forKey: .transport) ?? "any"
        let familyText = try container.decodeIfPresent(String.self, forKey: .family)
        family = familyText == "ipv6" ? .ipv6 : (familyText == "ipv4" ? .ipv4 : address.family)
        port = try container.decodeIfPresent(UInt16.self, forKey: .port) ?? 0
        verdict = try container.decodeIfPresent(RuleAction.self, forKey: .verdict) ?? .allow
        enforced = try container.decodeIfPresent(Bool.self, forKey: .enforced) ?? true
        policy = try container.decodeIfPresent(String.self, forKey: .policy)
        rule = try container.decodeIfPresent(String.self, forKey: .rule) ?? ""
        hook = try container.decodeIfPresent(String.self, forKey: .hook) ?? ""
        generation = try container.decodeIfPresent(UInt32.self, forKey: .generation) ?? 0
        mapped = try container.decodeIfPresent(Bool.self, forKey: .mapped) ?? false
        unspecified = try container.decodeIfPresent(Bool.self, forKey: .unspecified)
        closed = try container.decodeIfPresent(Bool.self, forKey: .closed)
        score = try container.decodeIfPresent(Double.self, forKey: .score)
        anomaly = try container.decodeIfPresent(Bool.self, forKey: .anomaly)
        reasons = try container.decodeIfPresent([String].self, forKey: .reasons)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(RFC3339.format(timeNanoseconds), forKey: .time)
        try container.encode(node, forKey: .node)
        try container.encode(pid, forKey: .pid)
        try container.encode(uid, forKey: .uid)
        try container.encode(comm, forKey: .comm)
        try container.encode(exe, forKey: .exe)
        try container.encode(exeID, forKey: .exeID)
        try container.encode(cgroup, forKey: .cgroup)
        try container.encode(cgroupID, forKey: .cgroupID)
        try container.encode(transport, forKey: .transport)
        try container.encode(family.description, forKey: .family)
        try container.encode(destination.description, forKey: .destination)
        try container.encode(port, forKey: .port)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(enforced, forKey: .enforced)
        try container.encode(policy, forKey: .policy)
        try container.encode(rule, forKey: .rule)
        try container.encode(hook, forKey: .hook)
        try container.encode(generation, forKey: .generation)
        try container.encode(mapped, forKey: .mapped)
        try container.encodeIfPresent(unspecified, forKey: .unspecified)
        try container.encodeIfPresent(closed, forKey: .closed)
        try container.encodeIfPresent(score, forKey: .score)
        try container.encodeIfPresent(anomaly, forKey: .anomaly)
        try container.encodeIfPresent(reasons, forKey: .reasons)
    }
}
