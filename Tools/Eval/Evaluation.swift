import Foundation
import SluiceCore

/// The metrics of one detector on one group of attack events against all normal events.
struct MetricRow {
    var label: String
    var attackEvents: Int
    var incidents: Int
    var rocAUC: Double
    var averagePrecision: Double
    /// Recall with the threshold set so that 0.1% of normal events exceed it.
    var recallAtLowFPR: Double
    /// Incidents with at least one event over that threshold.
    var incidentsCaught: Int
}

/// One detector's results on a workload.
struct DetectorResult {
    var name: String
    var summary: String
    var overall: MetricRow
    var byKind: [AttackKind: MetricRow]
    var secondsTaken: Double
    /// Scores of normal events at the 50th, 90th, 99th and 99.9th percentiles.
    var normalQuantiles: [Double] = []
    /// Sluice only: how its own alerts (adaptive thresholds, warm-up) behaved.
    var alerts: AlertSummary?
}

/// Sluice's alerts as the agent would raise them.
struct AlertSummary {
    var normalEvents: Int
    var falseAlerts: Int
    var attackEvents: Int
    var trueAlerts: Int
    var incidents: Int
    var incidentsAlerted: Int
    var worstApplication: String
    var worstApplicationRate: Double
}

enum Evaluation {
    static let falsePositiveRate = 0.001

    /// Runs `detector` over every event in order and computes its metrics.
    static func run<D: EvaluatedDetector>(_ detector: inout D, on workload: Workload) -> (DetectorResult, [Double]) {
        var scores: [Double] = []
        scores.reserveCapacity(workload.events.count)
        let clock = ContinuousClock()
        let started = clock.now
        for labelled in workload.events { scores.append(detector.score(labelled.event)) }
        let seconds = (clock.now - started).seconds
        var result = metrics(scores, workload: workload, name: detector.name, summary: detector.summary)
        result.secondsTaken = seconds
        return (result, scores)
    }

    static func metrics(_ scores: [Double], workload: Workload, name: String, summary: String) -> DetectorResult {
        var negatives: [Double] = []
        var positives: [AttackKind: [(Double, Int32)]] = [:]
        for (index, labelled) in workload.events.enumerated() {
            if let kind = labelled.attack {
                positives[kind, default: []].append((scores[index], labelled.incident))
            } else {
                negatives.append(scores[index])
            }
        }
        let threshold = Metrics.threshold(negatives: negatives, falsePositiveRate: falsePositiveRate)
        let sortedNegatives = negatives.sorted()
        let quantiles = [0.5, 0.9, 0.99, 0.999].map { sortedNegatives[min(sortedNegatives.count - 1, Int(Double(sortedNegatives.count) * $0))] }
        func row(_ label: String, _ group: [(Double, Int32)]) -> MetricRow {
            let values = group.map(\.0)
            let incidents = Set(group.map(\.1))
            let caught = Set(group.filter { $0.0 > threshold }.map(\.1))
            return MetricRow(
                label: label, attackEvents: group.count, incidents: incidents.count,
                rocAUC: Metrics.rocAUC(positives: values, negatives: negatives),
                averagePrecision: Metrics.averagePrecision(positives: values, negatives: negatives),
                recallAtLowFPR: Metrics.recall(positives: values, above: threshold), incidentsCaught: caught.count)
        }
        var byKind: [AttackKind: MetricRow] = [:]
        for kind in AttackKind.allCases { byKind[kind] = row(kind.rawValue, positives[kind] ?? []) }
        let overall = row("all attacks", positives.values.flatMap { $0 })
        return DetectorResult(
            name: name, summary: summary, overall: overall, byKind: byKind, secondsTaken: 0, normalQuantiles: quantiles, alerts: nil)
    }

    /// How Sluice's own alerts fell: false alerts on normal events (overall and for the worst
    /// application), alerts on attack events, incidents with at least one alert.
    static func alertSummary(_ alerts: [Bool], workload: Workload) -> AlertSummary {
        var normal = 0
        var falseAlerts = 0
        var attacks = 0
        var trueAlerts = 0
        var alertedIncidents = Set<Int32>()
        var perApp: [String: (events: Int, alerts: Int)] = [:]
        for (index, labelled) in workload.events.enumerated() {
            if labelled.attack != nil {
                attacks += 1
                if alerts[index] {
                    trueAlerts += 1
                    alertedIncidents.insert(labelled.incident)
                }
            } else {
                normal += 1
                let key = AppKey(labelled.event).description
                perApp[key, default: (0, 0)].events += 1
                if alerts[index] {
                    falseAlerts += 1
                    perApp[key, default: (0, 0)].alerts += 1
                }
            }
        }
        let worst = perApp.filter { $0.value.events >= 1000 }
            .max { Double($0.value.alerts) / Double($0.value.events) < Double($1.value.alerts) / Double($1.value.events) }
        return AlertSummary(
            normalEvents: normal, falseAlerts: falseAlerts, attackEvents: attacks, trueAlerts: trueAlerts,
            incidents: workload.incidents.count, incidentsAlerted: alertedIncidents.count,
            worstApplication: worst?.key ?? "-",
            worstApplicationRate: worst.map { Double($0.value.alerts) / Double($0.value.events) } ?? 0)
    }

    /// Sluice and every baseline, in the order of the report's tables.
    static func evaluateAll(_ workload: Workload, configuration: DetectorConfiguration, baselines withBaselines: Bool = true) -> [DetectorResult] {
        var sluice = SluiceDetector(configuration: configuration)
        var (sluiceResult, _) = run(&sluice, on: workload)
        sluiceResult.alerts = alertSummary(sluice.alerts, workload: workload)
        return [sluiceResult] + (withBaselines ? baselines(workload) : [])
    }

    /// The published detectors Sluice is compared with, in the report's order.
    static func baselines(_ workload: Workload) -> [DetectorResult] {
        var midas = MIDAS(relational: false)
        var midasR = MIDAS(relational: true)
        var slidingForest = IsolationForestDetector(training: .sliding(windowHours: 24, refreshHours: 1))
        var prefixForest = IsolationForestDetector(training: .prefix(hours: 24))
        return [
            run(&midas, on: workload).0, run(&midasR, on: workload).0, run(&slidingForest, on: workload).0,
            run(&prefixForest, on: workload).0,
        ]
    }
}
