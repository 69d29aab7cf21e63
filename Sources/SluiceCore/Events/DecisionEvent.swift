/// One decision, enriched for people and tools. On the wire it is one JSON line, written by
/// `jsonLine` and read by `init(jsonLine:)` (the only event codec; the format is README's
/// "Events" section).
public struct DecisionEvent: Sendable, Hashable {
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
    /// The name the application looked up for `destination` (the question of the DNS answer
    /// that gave it, the start of any CNAME chain); nil when none is known.
    public var dstDomain: String?
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
    /// The caller wrote 0.0.0.0 or ::, decided as the loopback address in `destination`.
    public var unspecified: Bool
    /// An open connection ended because a new policy denies it (`hook` is `close-tcp` or
    /// `close-udp`), not a connect or a send.
    public var closed: Bool
    /// Where a redirect rule sent the connection (`127.0.0.1:15001`); `destination` is where
    /// the application meant to go. Nil unless the verdict is redirect.
    public var redirectTo: String?
    /// A flow record's counts; nil for a decision.
    public var flow: FlowCounts?
    /// The feed indicator that matched the destination; nil when none did.
    public var intel: IntelHit?
    /// What the agent's detector made of the event; nil when it did not score it.
    public var score: EventScore?

    public init(
        timeNanoseconds: Int64, node: String, pid: UInt32, uid: UInt32, comm: String, exe: String?, exeID: String?,
        cgroup: String?, cgroupID: UInt64, transport: String, family: IPAddress.Family, destination: IPAddress, port: UInt16,
        verdict: RuleAction, enforced: Bool, policy: String?, rule: String, hook: String, generation: UInt32, mapped: Bool,
        unspecified: Bool = false, closed: Bool = false, dstDomain: String? = nil, redirectTo: String? = nil,
        flow: FlowCounts? = nil, score: EventScore? = nil, intel: IntelHit? = nil
    ) {
        self.intel = intel
        self.redirectTo = redirectTo
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
        self.unspecified = unspecified
        self.closed = closed
        self.dstDomain = dstDomain
        self.flow = flow
        self.score = score
    }
}
