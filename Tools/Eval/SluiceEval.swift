import ArgumentParser
import Foundation
import SluiceCore

@main
struct SluiceEval: ParsableCommand {
    static let dayLength = day
    static let configuration = CommandConfiguration(
        commandName: "sluice-eval",
        abstract: "Labelled workloads, anomaly detectors and their evaluation.",
        subcommands: [Generate.self, Evaluate.self, RealCommand.self, BenchCommand.self, Report.Command.self, MemoryCommand.self, Gaps.self])
}

/// The workload every subcommand works on.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Seed of the workload (the same seed gives the same events).")
    var seed: UInt64 = 1

    @Option(help: "Simulated days (at least 2; attacks start on the second day).")
    var days: Int = 5

    @Option(help: "Seed of the detector's hashes.")
    var detectorSeed: UInt64 = 0x51

    @Option(help: "Read the workload from JSON lines (as `generate` writes them) instead of generating it.")
    var input: String?

    func validate() throws {
        guard days >= 2 else { throw ValidationError("--days must be at least 2: attacks start on the second day") }
    }

    var detectorConfiguration: DetectorConfiguration { DetectorConfiguration(seed: detectorSeed) }

    func makeWorkload() throws -> Workload {
        let clock = ContinuousClock()
        let start = clock.now
        let workload = try input.map { try Workload(loading: $0) } ?? Workload(seed: seed, days: days)
        FileHandle.standardError.write(
            "workload: \(workload.events.count) events (\(workload.attackEvents) attack events, \(workload.incidents.count) incidents, \(workload.apps.count) applications) in \(clock.now - start)\n"
                .data(using: .utf8)!)
        return workload
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the labelled workload as JSON lines: the event schema plus `label` and `incident`.")

    @OptionGroup var workload: WorkloadOptions

    @Option(help: "Output file (standard output when omitted).")
    var output: String?

    func run() throws {
        let events = try workload.makeWorkload().events
        var text = ""
        text.reserveCapacity(events.count * 400)
        for event in events {
            text += event.jsonLine
            text += "\n"
        }
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            FileHandle.standardOutput.write(text.data(using: .utf8)!)
        }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score the workload with every detector and print the metrics.")

    @OptionGroup var workload: WorkloadOptions

    @Flag(help: "Print the top anomalies Sluice found, with their explanations.")
    var explain = false

    @Flag(help: "Score with Sluice alone, without the baselines (minutes faster, for iterating on the detector).")
    var sluiceOnly = false

    @Option(help: "Print a sample of this attack type's events with Sluice's scores and explanations.")
    var sample: AttackKind?

    @Flag(help: "Print, per feature, how often it adds to normal events' scores and for which applications.")
    var census = false

    @Option(help: "With --sample: print this many of the type's lowest-scoring events instead, with the share of normal events scoring at least as high.")
    var lowest: Int?

    func run() throws {
        let data = try workload.makeWorkload()
        let results = Evaluation.evaluateAll(data, configuration: workload.detectorConfiguration, baselines: !sluiceOnly)
        print(ReportText.metricsTables(results))
        if let alerts = results.first?.alerts { print(ReportText.alertText(alerts)) }
        print(ReportText.normalQuantiles(results))
        if explain { ReportText.printTopAnomalies(data, configuration: workload.detectorConfiguration) }
        if census { ReportText.printCensus(data, configuration: workload.detectorConfiguration) }
        if let sample, let lowest {
            ReportText.printLowest(lowest, of: sample, in: data, configuration: workload.detectorConfiguration)
        } else if let sample {
            ReportText.printSample(of: sample, in: data, configuration: workload.detectorConfiguration)
        }
    }
}
