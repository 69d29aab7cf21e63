import SluiceCore
import SluiceKernel

/// Everything `sluice agent` is started with.
public struct AgentConfiguration: Sendable {
    /// Folder of policy files to enforce and watch; nil for none.
    public var policyDirectory: String?
    /// Cgroup to attach to (relative to the cgroup2 mount or absolute); nil for the root.
    public var cgroup: String?
    public var state: StateLayout
    /// The name events and status carry.
    public var nodeName: String
    public var eventMode: EventMode
    /// `host:port` for Prometheus metrics; nil to serve none.
    public var metricsAddress: (host: String, port: Int)?
    public var capacity: DatapathCapacity
    /// How long to wait after a file change for more changes before reloading.
    public var reloadDebounce: Duration
    /// How often executables and cgroups named by policy are re-resolved as a safety net
    /// behind inotify.
    public var resolveInterval: Duration
    /// Events kept for `sluice events` without `--follow`.
    public var recentEvents: Int
    /// Rule learning for applications no policy sets learning for.
    public var learning: LearningSettings
    /// Anomaly scoring: warm-up, thresholds, capacity.
    public var detector: DetectorConfiguration
    /// The central server, when the node belongs to a fleet.
    public var fleet: FleetConfiguration?
    /// How often the kernel state is verified against what the agent made (tamper detection).
    public var verifyInterval: Duration = .seconds(1)
    /// How often open connections get a flow record (their counts so far); final records come
    /// when they end.
    public var flowInterval: Duration = .seconds(10)
    /// Protect mode (BPF LSM), with the token that stops the agent; nil for off.
    public var protect: ProtectSettings?
    /// Local feed files, each a feed layer of its own beside the server's feeds.
    public var feedFiles: [FeedFile] = []
    /// Most bytes of recent decisions kept in the state folder for `policy test --local`; 0 keeps none.
    public var historyBytes: Int = 64 << 20
    /// The Unix socket where redirect targets learn a connection's original destination
    /// (`OriginSocket`); nil for none.
    public var originSocket: String?
    /// `--origin-socket`'s default with the default state folder.
    public static let defaultOriginSocket = "/run/sluice/origin.sock"

    public init(
        policyDirectory: String?, cgroup: String?, state: StateLayout, nodeName: String, eventMode: EventMode = .all,
        metricsAddress: (host: String, port: Int)? = ("127.0.0.1", 9477), capacity: DatapathCapacity = DatapathCapacity(),
        reloadDebounce: Duration = .milliseconds(10), resolveInterval: Duration = .seconds(2), recentEvents: Int = 1000,
        learning: LearningSettings = LearningSettings(mode: .suggest), detector: DetectorConfiguration = DetectorConfiguration(),
        fleet: FleetConfiguration? = nil
    ) {
        self.policyDirectory = policyDirectory
        self.cgroup = cgroup
        self.state = state
        self.nodeName = nodeName
        self.eventMode = eventMode
        self.metricsAddress = metricsAddress
        self.capacity = capacity
        self.reloadDebounce = reloadDebounce
        self.resolveInterval = resolveInterval
        self.recentEvents = recentEvents
        self.learning = learning
        self.detector = detector
        self.fleet = fleet
    }
}
