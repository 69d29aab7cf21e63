import SluiceCore

/// Markdown tables shared by `evaluate` and `report`.
enum ReportText {
    static func format(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return "–" }
        var text = String(Double((value * pow10(digits)).rounded()) / pow10(digits))
        let decimals = text.split(separator: ".").last?.count ?? 0
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        return text
    }

    private static func pow10(_ digits: Int) -> Double { (0..<digits).reduce(1.0) { value, _ in value * 10 } }

    static func metricsTables(_ results: [DetectorResult]) -> String {
        var text = "| detector | ROC-AUC | average precision | recall at 0.1% FPR | incidents caught at 0.1% FPR | seconds |\n"
        text += "|---|---|---|---|---|---|\n"
        for result in results {
            let row = result.overall
            text += "| \(result.name) | \(format(row.rocAUC, digits: 4)) | \(format(row.averagePrecision)) | \(format(row.recallAtLowFPR)) | \(row.incidentsCaught)/\(row.incidents) | \(format(result.secondsTaken, digits: 1)) |\n"
        }
        text += "\nROC-AUC per attack type (that type's events against all normal events); recall at 0.1% FPR and incidents caught in brackets:\n\n"
        text += "| attack type | events | incidents | " + results.map(\.name).joined(separator: " | ") + " |\n"
        text += "|---|---|---|" + results.map { _ in "---|" }.joined() + "\n"
        for kind in AttackKind.allCases {
            guard let first = results.first?.byKind[kind] else { continue }
            text += "| \(kind.rawValue) | \(first.attackEvents) | \(first.incidents) | "
            text += results.map { result in
                let row = result.byKind[kind]!
                return "\(format(row.rocAUC, digits: 4)) (\(format(row.recallAtLowFPR, digits: 2)), \(row.incidentsCaught)/\(row.incidents))"
            }.joined(separator: " | ")
            text += " |\n"
        }
        return text
    }

    static func normalQuantiles(_ results: [DetectorResult]) -> String {
        results.map { "\($0.name): normal scores p50 \(format($0.normalQuantiles[0], digits: 2)), p90 \(format($0.normalQuantiles[1], digits: 2)), p99 \(format($0.normalQuantiles[2], digits: 2)), p99.9 \(format($0.normalQuantiles[3], digits: 2))" }
            .joined(separator: "\n")
    }

    static func alertText(_ alerts: AlertSummary) -> String {
        """
        Sluice's own alerts (per-application adaptive thresholds; in the warm-up, the cold-start bar): \(alerts.falseAlerts) false alerts \
        in \(alerts.normalEvents) normal events (\(format(100 * Double(alerts.falseAlerts) / Double(max(1, alerts.normalEvents)), digits: 3))%; \
        worst application \(alerts.worstApplication) at \(format(100 * alerts.worstApplicationRate, digits: 3))%), \
        \(alerts.trueAlerts) of \(alerts.attackEvents) attack events alerted, \(alerts.incidentsAlerted) of \(alerts.incidents) incidents \
        with at least one alert.
        """
    }

    /// Every event of one attack type (a sample of 60), with score and explanation (development aid).
    static func printSample(of kind: AttackKind, in workload: Workload, configuration: DetectorConfiguration) {
        var detector = AnomalyDetector(configuration: configuration)
        var rows: [String] = []
        for labelled in workload.events {
            let score = detector.score(Observation(labelled.event))
            guard labelled.attack == kind else { continue }
            rows.append(
                "#\(labelled.incident) \(format(score.value, digits: 1))\(score.warmingUp ? " (warm-up)" : "")\(score.isAnomaly ? " ALERT" : "") \(AppKey(labelled.event)) -> \(labelled.event.destination):\(labelled.event.port) "
                    + score.contributions.map(\.description).joined(separator: "; "))
        }
        let step = max(1, rows.count / 60)
        for (index, row) in rows.enumerated() where index % step == 0 { print(row) }
    }

    /// The lowest-scoring events of one attack type, each with the share of normal events that
    /// score at least as high: the events that cost the type its ROC-AUC (development aid).
    static func printLowest(_ count: Int, of kind: AttackKind, in workload: Workload, configuration: DetectorConfiguration) {
        var detector = AnomalyDetector(configuration: configuration)
        var normal: [Double] = []
        var rows: [(Double, String)] = []
        for labelled in workload.events {
            let score = detector.score(Observation(labelled.event))
            guard let attack = labelled.attack else {
                normal.append(score.value)
                continue
            }
            guard attack == kind else { continue }
            let row = "#\(labelled.incident) \(format(score.value, digits: 2))\(score.warmingUp ? " (warm-up)" : "") \(AppKey(labelled.event)) -> \(labelled.event.destination):\(labelled.event.port) "
                + score.contributions.map(\.description).joined(separator: "; ")
            rows.append((score.value, row))
        }
        normal.sort()
        let tail = [0.999, 0.9999, 0.99999].map { normal[min(normal.count - 1, Int(Double(normal.count) * $0))] }
        print("normal scores p99.9 \(format(tail[0], digits: 2)), p99.99 \(format(tail[1], digits: 2)), p99.999 \(format(tail[2], digits: 2)), max \(format(normal.last ?? 0, digits: 2))")
        var lost = 0.0
        for (value, _) in rows {
            let below = normal.partitioningIndex { $0 >= value }
            let tied = normal.partitioningIndex { $0 > value } - below
            lost += (Double(normal.count - below - tied) + 0.5 * Double(tied)) / Double(normal.count)
        }
        print("\(kind.rawValue): \(rows.count) events, ROC-AUC \(format(1 - lost / Double(max(1, rows.count)), digits: 6)), events' summed share of normal events above them \(format(lost, digits: 3))")
        var cumulative = 0.0
        var shown = 10
        for (index, (value, _)) in rows.sorted(by: { $0.0 < $1.0 }).enumerated() {
            let below = normal.partitioningIndex { $0 >= value }
            let tied = normal.partitioningIndex { $0 > value } - below
            cumulative += (Double(normal.count - below - tied) + 0.5 * Double(tied)) / Double(normal.count)
            if index + 1 == shown {
                print("  the lowest \(shown): \(format(cumulative, digits: 3)) (up to score \(format(value, digits: 2)))")
                shown *= 3
            }
        }
        for (value, row) in rows.sorted(by: { $0.0 < $1.0 }).prefix(count) {
            let above = normal.count - normal.partitioningIndex { $0 >= value }
            print("\(format(100 * Double(above) / Double(normal.count), digits: 3))% of normal at least as high: \(row)")
        }
    }

    /// For each feature: how many normal events it adds at least a bit to, their mean, and the
    /// applications it does so most for (development aid).
    static func printCensus(_ workload: Workload, configuration: DetectorConfiguration) {
        var detector = AnomalyDetector(configuration: configuration)
        var counts = [Int](repeating: 0, count: Feature.count)
        var sums = [Double](repeating: 0, count: Feature.count)
        var apps = [[String: Int]](repeating: [:], count: Feature.count)
        var high: [String: Int] = [:]
        for labelled in workload.events {
            let score = detector.score(Observation(labelled.event))
            guard labelled.attack == nil else { continue }
            if score.isAnomaly {
                print("false alert: day \((labelled.event.timeNanoseconds - Calendar.start) / SluiceEval.dayLength) \(format(score.value, digits: 1)) > \(format(score.threshold, digits: 1)) \(AppKey(labelled.event)) -> \(labelled.event.destination):\(labelled.event.port) " + score.contributions.map(\.description).joined(separator: "; "))
            }
            if score.value >= 17, let top = score.contributions(limit: 1).first {
                let day = (labelled.event.timeNanoseconds - Calendar.start) / SluiceEval.dayLength
                high["day \(day) \(AppKey(labelled.event).description) \(top.feature.name)", default: 0] += 1
            }
            for feature in Feature.allCases where score.contribution(of: feature) >= 1 {
                counts[feature.rawValue] += 1
                sums[feature.rawValue] += score.contribution(of: feature)
                let day = (labelled.event.timeNanoseconds - Calendar.start) / SluiceEval.dayLength
                apps[feature.rawValue]["day \(day) \(AppKey(labelled.event).description)", default: 0] += 1
            }
        }
        print("normal events scoring 17 bits or more, by day, application and largest feature:")
        for (key, count) in high.sorted(by: { $0.value > $1.value }) { print("  \(count) \(key)") }
        for feature in Feature.allCases {
            let top = apps[feature.rawValue].sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) \($0.value)" }
            print("\(feature.name): \(counts[feature.rawValue]) normal events, mean \(format(sums[feature.rawValue] / Double(max(1, counts[feature.rawValue])), digits: 1)) bits; \(top.joined(separator: ", "))")
        }
    }

    /// The highest-scoring events with their explanations (development aid).
    static func printTopAnomalies(_ workload: Workload, configuration: DetectorConfiguration, count: Int = 40) {
        var detector = AnomalyDetector(configuration: configuration)
        var top: [(Double, Int, Score)] = []
        var falseAlarms: [Int: (Int, Score)] = [:]
        for (index, labelled) in workload.events.enumerated() {
            let score = detector.score(Observation(labelled.event))
            if labelled.attack == nil && score.value > 11 { falseAlarms[index] = (index, score) }
            if top.count < count || score.value > top.last!.0 {
                top.append((score.value, index, score))
                top.sort { $0.0 > $1.0 }
                if top.count > count { top.removeLast() }
            }
        }
        func line(_ index: Int, _ score: Score) -> String {
            let labelled = workload.events[index]
            let app = AppKey(labelled.event).description
            return "\(format(score.value, digits: 1)) \(labelled.attack?.rawValue ?? "normal") \(app) -> \(labelled.event.destination):\(labelled.event.port) "
                + score.contributions.map(\.description).joined(separator: "; ")
        }
        print("Top scores:")
        for (_, index, score) in top { print("  " + line(index, score)) }
        var groups: [String: Int] = [:]
        for (index, _) in falseAlarms.values {
            let labelled = workload.events[index]
            let day = Int((labelled.event.timeNanoseconds - Calendar.start) / day)
            groups["day \(day) \(AppKey(labelled.event))", default: 0] += 1
        }
        print("Normal events over 11 bits by day and application:")
        for (group, count) in groups.sorted(by: { $0.value > $1.value }).prefix(25) { print("  \(count) \(group)") }
        print("Normal events over 11 bits: \(falseAlarms.count); a sample:")
        for (_, (index, score)) in falseAlarms.sorted(by: { $0.key < $1.key }).enumerated().filter({ $0.offset % max(1, falseAlarms.count / 30) == 0 }).map(\.element) {
            print("  " + line(index, score))
        }
    }
}


extension Array where Element == Double {
    /// The first index whose element satisfies `predicate` (which must be false, then true, over
    /// the sorted array).
    func partitioningIndex(where predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
