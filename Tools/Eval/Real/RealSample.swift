import SluiceCore

/// `sluice-eval real --explain`: per capture, Sluice's scores, thresholds and explanations for
/// attack events spread over the capture (and every alerted one) and the highest-scoring normal ones, to see why an alert did or did
/// not fire.
enum RealSample {
    static func print(_ captures: [Capture], configuration: DetectorConfiguration, count: Int) {
        for capture in captures {
            Swift.print("== \(capture.spec.name)")
            var detector = AnomalyDetector(configuration: configuration)
            var normal: [(Score, CaptureEvent)] = []
            // Attack events spread evenly over the capture: the first ones and how it goes on.
            let stride = max(1, capture.attackEvents / max(1, count))
            var attacks = 0
            for labelled in capture.events {
                let score = detector.score(Observation(labelled.event))
                if labelled.attack == nil {
                    normal.append((score, labelled))
                } else {
                    if attacks % stride == 0 || score.isAnomaly { line("attack", score, labelled) }
                    attacks += 1
                }
            }
            for (score, labelled) in normal.sorted(by: { $0.0.value > $1.0.value }).prefix(count) { line("normal", score, labelled) }
        }
    }

    private static func line(_ kind: String, _ score: Score, _ labelled: CaptureEvent) {
        let event = labelled.event
        let value = (score.value * 10).rounded() / 10
        let threshold = (score.threshold * 10).rounded() / 10
        Swift.print(
            "\(kind) \(event.cgroup ?? "-") → \(event.destination):\(event.port)/\(event.transport) \(event.dstDomain ?? "") score \(value) threshold \(threshold)\(score.isAnomaly ? " ALERT" : "")  \(score.contributions(limit: 4).map(\.description).joined(separator: "; "))"
        )
    }
}
