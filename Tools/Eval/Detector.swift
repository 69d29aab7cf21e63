import SluiceCore

/// A detector the harness evaluates: it sees each decision event once, in time order, and
/// answers with a score (higher is more anomalous). Baselines for comparison conform too.
protocol EvaluatedDetector {
    /// The name in the report's tables.
    var name: String { get }
    /// One line on how it works, for the report.
    var summary: String { get }
    mutating func score(_ event: DecisionEvent) -> Double
}

/// Sluice's detector, scored as the agent runs it: every event scored then learned, warm-up
/// events scored too (they cannot alert, but they count in the metrics with their scores).
struct SluiceDetector: EvaluatedDetector {
    var detector: AnomalyDetector
    /// Alerts raised (past warm-up and over the application's threshold), by event index.
    private(set) var alerts: [Bool] = []

    init(configuration: DetectorConfiguration = DetectorConfiguration()) {
        detector = AnomalyDetector(configuration: configuration)
    }

    var name: String { "Sluice" }
    var summary: String { "per-application surprisal of novelty, fan-out, rate, rhythm and hour features (this work)" }

    mutating func score(_ event: DecisionEvent) -> Double {
        let result = detector.score(Observation(event))
        alerts.append(result.isAnomaly)
        return result.value
    }
}
