import SluiceCore

/// Every detector on every capture, each capture scored by fresh detectors from its first event
/// (a node's first day: nothing is learned before), and the metrics the report prints.
struct RealEvaluation {
    /// One detector's scores, per capture in the catalog's order.
    struct Scored {
        var name: String
        var summary: String
        var scores: [[Double]]
    }

    /// Sluice's alerts on one capture at the agent's default settings.
    struct OperatingPoint {
        var incidents: Int
        var incidentsAlerted: Int
        var attackEvents: Int
        var attackAlerts: Int
        var normalEvents: Int
        var falseAlerts: Int
        /// Each application's span of events in days, rounded up, at least one: a host seen for
        /// ten minutes is one application-day.
        var applicationDays: Int
        var falseAlertsPerApplicationDay: Double { Double(falseAlerts) / Double(max(1, applicationDays)) }
    }

    /// ROC-AUC and average precision of one group of attack events against normal events.
    struct Ranking {
        var attackEvents: Int
        var rocAUC: Double
        var averagePrecision: Double
    }

    var captures: [Capture]
    var detectors: [Scored] = []
    /// Sluice's operating point per capture.
    var operatingPoints: [OperatingPoint] = []

    init(captures: [Capture], configuration: DetectorConfiguration) {
        self.captures = captures
        var sluice = Scored(name: "Sluice", summary: SluiceDetector(configuration: configuration).summary, scores: [])
        for capture in captures {
            var detector = SluiceDetector(configuration: configuration)
            sluice.scores.append(capture.events.map { detector.score($0.event) })
            operatingPoints.append(Self.operatingPoint(detector.alerts, capture))
        }
        detectors.append(sluice)
        detectors.append(score { MIDAS(relational: false) })
        detectors.append(score { MIDAS(relational: true) })
        detectors.append(score { IsolationForestDetector(training: .sliding(windowHours: 24, refreshHours: 1)) })
        detectors.append(score { StreamingAutoencoder() })
        detectors.append(score { FirstContact() })
    }

    private func score<D: EvaluatedDetector>(_ make: () -> D) -> Scored {
        var result = Scored(name: make().name, summary: make().summary, scores: [])
        for capture in captures {
            var detector = make()
            result.scores.append(capture.events.map { detector.score($0.event) })
        }
        return result
    }

    static func operatingPoint(_ alerts: [Bool], _ capture: Capture) -> OperatingPoint {
        var point = OperatingPoint(
            incidents: capture.incidentCount, incidentsAlerted: 0, attackEvents: 0, attackAlerts: 0, normalEvents: 0,
            falseAlerts: 0, applicationDays: 0)
        var alerted = Set<Int32>()
        var spans: [String: (first: Int64, last: Int64)] = [:]
        for (index, labelled) in capture.events.enumerated() {
            let time = labelled.event.timeNanoseconds
            let app = labelled.event.cgroup ?? ""
            let span = spans[app] ?? (time, time)
            spans[app] = (min(span.first, time), max(span.last, time))
            if labelled.attack != nil {
                point.attackEvents += 1
                if alerts[index] {
                    point.attackAlerts += 1
                    alerted.insert(labelled.incident)
                }
            } else {
                point.normalEvents += 1
                if alerts[index] { point.falseAlerts += 1 }
            }
        }
        point.incidentsAlerted = alerted.count
        let day = 86_400_000_000_000 as Int64
        point.applicationDays = spans.values.reduce(0) { $0 + max(1, Int(($1.last - $1.first + day - 1) / day)) }
        return point
    }

    /// The ranking of `detector`'s scores for the events `include` picks as positives (attacks)
    /// against every normal event of the captures `captureIndices`.
    func ranking(_ detector: Scored, captures captureIndices: [Int], attack include: (String) -> Bool) -> Ranking {
        var positives: [Double] = []
        var negatives: [Double] = []
        for index in captureIndices {
            for (position, labelled) in captures[index].events.enumerated() {
                let value = detector.scores[index][position]
                if let attack = labelled.attack {
                    if include(attack) { positives.append(value) }
                } else {
                    negatives.append(value)
                }
            }
        }
        return Ranking(
            attackEvents: positives.count,
            rocAUC: Metrics.rocAUC(positives: positives, negatives: negatives),
            averagePrecision: Metrics.averagePrecision(positives: positives, negatives: negatives))
    }

    /// Attack types in the order they first appear.
    var attackTypes: [String] {
        var seen: [String] = []
        for capture in captures {
            for event in capture.events { if let attack = event.attack, !seen.contains(attack) { seen.append(attack) } }
        }
        return seen
    }
}
