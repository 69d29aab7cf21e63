import ArgumentParser
import Foundation
import SluiceCore

/// `sluice-eval gaps`: Sluice's ROC-AUC per attack type against the best baseline's, to six
/// decimals, on several workload seeds: where Sluice trails and by how much. Baseline results
/// can be cached in a file, since they do not change while Sluice's detector is worked on.
struct Gaps: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sluice against the best baseline per attack type, on several seeds (development aid).")

    @Option(parsing: .upToNextOption, help: "Workload seeds.")
    var seeds: [UInt64] = [1, 2, 3]

    @Option(help: "Simulated days.")
    var days: Int = 5

    @Option(help: "A file to keep the baselines' results in (read when present, written when not).")
    var cache: String?

    func run() throws {
        var cached: [String: Double] = [:]
        if let cache, let text = try? String(contentsOfFile: cache, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { cached[String(parts[0])] = value }
            }
        }
        var fresh: [String] = []
        for seed in seeds {
            let workload = Workload(seed: seed, days: days)
            var sluice = SluiceDetector()
            var (result, _) = Evaluation.run(&sluice, on: workload)
            result.alerts = Evaluation.alertSummary(sluice.alerts, workload: workload)
            var baselines: [String: (String, Double)] = [:]
            let key = { (kind: String) in "\(seed)/\(self.days)/\(kind)" }
            if AttackKind.allCases.allSatisfy({ cached[key($0.rawValue)] != nil }) {
                for kind in AttackKind.allCases { baselines[kind.rawValue] = ("cached", cached[key(kind.rawValue)]!) }
            } else {
                for other in Evaluation.baselines(workload) {
                    for kind in AttackKind.allCases where other.byKind[kind]!.rocAUC > baselines[kind.rawValue]?.1 ?? -1 {
                        baselines[kind.rawValue] = (other.name, other.byKind[kind]!.rocAUC)
                    }
                }
                for kind in AttackKind.allCases { fresh.append("\(key(kind.rawValue)) \(baselines[kind.rawValue]!.1)") }
            }
            print("seed \(seed): Sluice overall \(String(format: "%.6f", result.overall.rocAUC)), false alerts \(result.alerts!.falseAlerts), normal p99 \(String(format: "%.2f", result.normalQuantiles[2])) p99.9 \(String(format: "%.2f", result.normalQuantiles[3]))")
            for kind in AttackKind.allCases {
                let mine = result.byKind[kind]!.rocAUC
                let (name, best) = baselines[kind.rawValue]!
                let mark = mine >= best ? "" : "   <-- behind"
                print("  \(kind.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(String(format: "%.6f", mine))  best baseline \(String(format: "%.6f", best)) (\(name))\(mark)")
            }
        }
        if let cache, !fresh.isEmpty {
            try (fresh.joined(separator: "\n") + "\n").write(toFile: cache, atomically: true, encoding: .utf8)
        }
    }
}

