/// Sluice's behavioural anomaly detector: per-application baselines of where, how often, how
/// widely, how regularly and when each application connects, scored event by event.
///
/// Give it every decision event in time order through `score(_:)`. Each observation is scored
/// against the application's history *before* it is learned, so a new destination is new when it
/// is scored. The score is the sum of the features' surprisals in bits (see `Feature`); an
/// application alerts when it is past its warm-up and its score exceeds its own threshold.
///
/// Memory is fixed per application (`bytesPerApplication`) and the number of applications is
/// bounded (`DetectorConfiguration.maximumApplications`, least recently seen forgotten first).
/// Scoring allocates nothing and builds no text; `Score.contributions` builds its explanations
/// only when asked. The detector is a value: a copy is an independent detector (its storage is
/// copied when first changed). It is not meant to be shared between threads while scoring.
public struct AnomalyDetector: Sendable {
    /// The settings it was made with.
    public let configuration: DetectorConfiguration
    let hash: SeededHash
    let parameters: ScoringParameters
    var node = NodeBaseline()
    var table: ApplicationTable
    /// The latest observation time: the clock of `teach` and `raiseThreshold`.
    var latestTime: Int64 = 0

    /// An empty detector: every application starts in its warm-up.
    public init(configuration: DetectorConfiguration = DetectorConfiguration()) {
        self.configuration = configuration
        hash = SeededHash(seed: configuration.seed)
        parameters = ScoringParameters(configuration)
        table = ApplicationTable(capacity: configuration.maximumApplications)
    }

    /// Scores the observation against its application's baseline, then adds it to the baseline.
    /// Observations must come in time order.
    public mutating func score(_ observation: Observation) -> Score {
        let time = observation.time
        if node.firstSeen == .min { node.firstSeen = time }
        if time > latestTime { latestTime = time }
        let nodeWarm = node.isWarm(
            at: time, events: parameters.nodeWarmUpEvents, duration: parameters.nodeWarmUpNanoseconds)
        let keys = ObservationKeys(observation, hash: hash)
        let slot = table.touch(observation.app) { ApplicationBaseline(firstSeen: time, lateArrival: nodeWarm) }
        return table.baselines[slot].observe(
            observation, keys: keys, node: &node, nodeWarm: nodeWarm, parameters: parameters)
    }

    /// Scores a decision event (`score(Observation(event))`).
    public mutating func score(_ event: DecisionEvent) -> Score {
        score(Observation(event))
    }

    /// Feedback: `destination:port` over `transport` is normal for `app`. The baseline absorbs it as
    /// a habitual destination and service (and the node learns it too), and a rhythm to it is no
    /// longer suspect. An application not tracked yet is added.
    public mutating func teach(app: AppKey, destination: IPAddress, port: UInt16, transport: TransportProtocol = .any) {
        let observation = Observation(time: latestTime, app: app, destination: destination, port: port, transport: transport)
        let keys = ObservationKeys(observation, hash: hash)
        let time = latestTime
        let slot = table.touch(app) { ApplicationBaseline(firstSeen: time, lateArrival: false) }
        table.baselines[slot].learn(keys, amount: 32)
        table.baselines[slot].rhythm.absolve(keys.rhythm)
        node.learn(keys, amount: 32)
    }

    /// Feedback: `app` alerts too often. Multiplies its threshold by `factor` (greater than 1 to
    /// raise it); factors accumulate. An application not tracked yet is added.
    public mutating func raiseThreshold(for app: AppKey, factor: Double) {
        precondition(factor > 0 && factor.isFinite, "the factor must be a positive number")
        let time = latestTime
        let slot = table.touch(app) { ApplicationBaseline(firstSeen: time, lateArrival: false) }
        table.baselines[slot].thresholdFactor *= Float(factor)
    }

    /// The threshold `app` would be held to now, or nil when it is not tracked.
    public func threshold(for app: AppKey) -> Double? {
        guard let slot = table.slot(of: app) else { return nil }
        let baseline = table.baselines[slot]
        let quantile = Double(baseline.scores.quantile(parameters.alertQuantile))
        let floor = parameters.thresholdFloor
        return min(max(floor, quantile), floor + ApplicationBaseline.thresholdCeilingMargin) * Double(baseline.thresholdFactor)
    }

    /// Applications tracked now.
    public var applicationCount: Int { table.count }

    /// Applications forgotten to stay within `maximumApplications`.
    public var evictedApplications: UInt64 { table.evictions }

    /// Whether `app` is tracked.
    public func isTracking(_ app: AppKey) -> Bool { table.slot(of: app) != nil }

    /// Bytes each tracked application costs, apart from the text of its key: its baseline, its
    /// slot in the key and recency arrays, and its dictionary entry (at the dictionary's maximum
    /// load of 3/4). Independent of the application's traffic.
    public static var bytesPerApplication: Int {
        let baseline = MemoryLayout<ApplicationBaseline>.stride
        let key = MemoryLayout<AppKey>.stride
        let links = 2 * MemoryLayout<Int32>.stride
        let dictionaryEntry = (MemoryLayout<AppKey>.stride + MemoryLayout<Int32>.stride) * 4 / 3 + 1
        return baseline + key + links + dictionaryEntry
    }

    /// Bytes of the node-wide state (its sketch and pooled counts), whatever the traffic.
    public static var nodeBytes: Int {
        MemoryLayout<NodeBaseline>.stride + CountMinSketch.rows * (1 << 16)
    }

    /// The detector's memory now: node state, each application's fixed cost, and the UTF-8 text
    /// of the application keys.
    public var memoryFootprint: Int {
        var text = 0
        for key in table.keys {
            text += (key.executable?.utf8.count ?? 0) + (key.cgroup?.utf8.count ?? 0)
        }
        return Self.nodeBytes + table.count * Self.bytesPerApplication + text
    }
}
