import Foundation
import Logging
import SluiceCore

/// Owns the anomaly detector: scores every decision strictly in order (score before update),
/// takes feedback from the rule learner, aggregates traffic for `sluice learn`, and keeps the
/// baselines across restarts in the state folder (versioned snapshot).
public actor ScoringService {
    private var detector: AnomalyDetector
    /// Bytes sent per finished connection, per application: uploads far above habit; saved
    /// beside the baselines (`volumesPath`).
    private var volumes = VolumeTable()
    private var allowlist = AllowlistLearner(minimumCount: 1)
    private let snapshotPath: String
    private let volumesPath: String
    private let logger: Logger
    private var dirty = false

    public init(configuration: DetectorConfiguration, snapshotPath: String, volumesPath: String, logger: Logger) {
        self.snapshotPath = snapshotPath
        self.volumesPath = volumesPath
        self.logger = logger
        if let bytes = FileManager.default.contents(atPath: volumesPath) {
            do {
                let restored = try VolumeTable(snapshot: [UInt8](bytes))
                volumes = restored
                logger.info("volume habits restored", metadata: ["detector.volume_applications": "\(restored.count)"])
            } catch {
                logger.warning("saved volume habits unusable; starting fresh", metadata: ["error": "\(error)", "detector.volumes": "\(volumesPath)"])
            }
        }
        if let bytes = FileManager.default.contents(atPath: snapshotPath) {
            do {
                let restored = try AnomalyDetector(snapshot: [UInt8](bytes))
                detector = restored
                logger.info("baselines restored", metadata: ["detector.applications": "\(restored.applicationCount)"])
                return
            } catch {
                logger.warning("saved baselines unusable; starting fresh", metadata: ["error": "\(error)", "detector.snapshot": "\(snapshotPath)"])
            }
        }
        detector = AnomalyDetector(configuration: configuration)
    }

    /// What scoring a batch found: every event's score in order, and the anomalous events' full
    /// scores by index.
    public struct BatchScores: Sendable {
        public var values: [Double] = []
        public var anomalies: [(index: Int, score: Score)] = []
        /// Finished connections that sent far more than their application's habit.
        public var volumeAnomalies: [(index: Int, finding: VolumeFinding)] = []
    }

    /// Scores a batch in order, each event before the baselines learn from it; `apps[i]` is
    /// `AppKey(events[i])`. The events are not copied back: the caller writes the scores into its
    /// own (`annotate`).
    public func score(_ events: [DecisionEvent], apps: [AppKey]) -> BatchScores {
        precondition(events.count == apps.count, "one application key per event")
        dirty = true
        var result = BatchScores()
        result.values.reserveCapacity(events.count)
        for index in events.indices {
            // A flow record is a connection's traffic, not a new connection: only its volume is
            // scored, once, when it ends.
            if let flow = events[index].flow {
                result.values.append(.nan)
                if flow.final, let finding = volumes.observe(app: apps[index], sent: flow.bytesSent, received: flow.bytesReceived) {
                    result.volumeAnomalies.append((index, finding))
                }
                continue
            }
            let score = detector.score(Observation(events[index], app: apps[index]))
            result.values.append(score.value)
            if score.isAnomaly { result.anomalies.append((index, score)) }
            allowlist.observe(events[index], app: apps[index])
        }
        return result
    }

    /// Writes a volume finding into its flow record.
    public static func annotate(_ event: inout DecisionEvent, volume: VolumeFinding) {
        event.score = EventScore(value: EventScore.rounded(volume.bits), isAnomaly: true, reasons: [volume.description])
    }

    /// Writes a score into its event: the `score`, `anomaly` and `reasons` fields of the stream.
    public static func annotate(_ event: inout DecisionEvent, value: Double, anomaly: Score?) {
        event.score = EventScore(
            value: EventScore.rounded(value), isAnomaly: anomaly != nil, reasons: anomaly.map { $0.contributions.map(\.description) } ?? [])
    }

    /// Feedback from a rejected rule: this traffic is normal for this application.
    public func teach(_ rule: LearnedRule) {
        guard let address = IPAddress(rule.destination) else { return }
        let app = AppKey(executable: rule.executable, cgroup: rule.cgroup)
        detector.teach(app: app, destination: address, port: rule.port, transport: rule.transport)
        detector.raiseThreshold(for: app, factor: 1.25)
        dirty = true
    }

    /// Allowlist policies from everything seen since start (`sluice learn` against the agent).
    public func allowlistPolicies(minimumCount: Int) -> [(name: String, yaml: String)] {
        allowlist.policies(minimumCount: minimumCount)
    }

    public var applicationCount: Int { detector.applicationCount }
    public var memoryFootprint: Int { detector.memoryFootprint }

    /// Writes the baselines and volume habits if they changed (atomically: a crash never leaves
    /// half a file).
    public func save() {
        guard dirty else { return }
        do {
            try Data(detector.snapshot()).write(to: URL(fileURLWithPath: snapshotPath), options: .atomic)
            try Data(volumes.snapshot()).write(to: URL(fileURLWithPath: volumesPath), options: .atomic)
            dirty = false
        } catch {
            logger.warning("could not save baselines", metadata: ["error": "\(error)"])
        }
    }
}
