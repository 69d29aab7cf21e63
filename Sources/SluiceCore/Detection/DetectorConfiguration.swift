/// Settings of an `AnomalyDetector`. They are saved in its snapshot.
public struct DetectorConfiguration: Sendable, Hashable {
    /// Seeds every hash: two detectors with one seed and one input give identical scores.
    public var seed: UInt64
    /// Applications tracked at once; beyond it the least recently seen one is forgotten.
    public var maximumApplications: Int
    /// An application needs at least this many events before its scores can alert.
    public var warmUpEvents: Int
    /// An application needs at least this much history (from its first event) before it can alert.
    public var warmUpDuration: Duration
    /// The node's own warm-up: applications first seen after it count as new applications, and a
    /// new application's destinations new to the node make its rhythms suspect.
    public var nodeWarmUpDuration: Duration
    /// The quantile of an application's own score distribution used as its threshold.
    public var alertQuantile: Double
    /// The lowest threshold any application gets, in bits. Thresholds rise with an application's
    /// own scores to at most 16 bits over the floor; in its warm-up an application is held to the floor
    /// (8 bits over it when it arrived after the node's warm-up).
    public var thresholdFloor: Double
    /// The window of the burst and fan-out features.
    public var burstWindow: Duration
    /// The window of the novel-destination and novel-service rates (slow scans and sweeps).
    public var noveltyWindow: Duration
    /// How long a destination that was new when first seen stays young for the periodicity feature.
    public var youngDestinationHorizon: Duration
    /// How much an anomalous event teaches the baseline (1 = as much as a normal one): a sustained
    /// attack is not learned as normal within minutes. `teach(...)` always teaches fully.
    public var anomalousLearningWeight: Double

    public init(
        seed: UInt64 = 0x51, maximumApplications: Int = 10_000, warmUpEvents: Int = 100,
        warmUpDuration: Duration = .seconds(3600), nodeWarmUpDuration: Duration = .seconds(86400), alertQuantile: Double = 0.999, thresholdFloor: Double = 16,
        burstWindow: Duration = .seconds(10), noveltyWindow: Duration = .seconds(3600),
        youngDestinationHorizon: Duration = .seconds(24 * 3600), anomalousLearningWeight: Double = 1.0 / 16
    ) {
        precondition(maximumApplications >= 1, "maximumApplications must be at least 1")
        precondition(alertQuantile > 0 && alertQuantile < 1, "alertQuantile must be between 0 and 1")
        precondition(anomalousLearningWeight >= 0 && anomalousLearningWeight <= 1)
        self.seed = seed
        self.maximumApplications = maximumApplications
        self.warmUpEvents = warmUpEvents
        self.warmUpDuration = warmUpDuration
        self.nodeWarmUpDuration = nodeWarmUpDuration
        self.alertQuantile = alertQuantile
        self.thresholdFloor = thresholdFloor
        self.burstWindow = burstWindow
        self.noveltyWindow = noveltyWindow
        self.youngDestinationHorizon = youngDestinationHorizon
        self.anomalousLearningWeight = anomalousLearningWeight
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; at least 1 so it can divide.
    var detectorNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? 1 : .max }
        return max(1, scaled + attoseconds / 1_000_000_000)
    }
}
