import Foundation
import SluiceCore

#if canImport(Glibc)
    import Glibc
#endif

/// Throughput, latency and memory of the scorer alone: observations are built before timing.
struct BenchResult {
    var events: Int
    var applications: Int
    var eventsPerSecond: Double
    var manyAppsEventsPerSecond: Double
    var p50: Double
    var p99: Double
    var p999: Double
    var timerOverhead: Double
    var bytesPerApplication: Int
    var nodeBytes: Int
    var footprintTenThousand: Int
    var residentTenThousand: Int
    /// Event JSON lines (as `generate` writes them) parsed per second on one core.
    var parsedLinesPerSecond: Double
    /// The same events written as JSON lines per second on one core.
    var encodedLinesPerSecond: Double
    var lineBytes: Double
}

enum Bench {
    @inline(__always)
    static func nanotime() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Resident memory of this process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    static func applicationKeys(_ count: Int) -> [AppKey] {
        (0..<count).map { AppKey(executable: "/opt/app\($0)/bin/service", cgroup: "/system.slice/app\($0).service") }
    }

    /// Resident growth of a fresh process while a detector takes on `applications` applications
    /// (40 events each, made on the fly so nothing else grows). Runs `sluice-eval memory` as a
    /// child, so memory freed by earlier measurements cannot hide the detector's.
    static func residentGrowth(applications: Int) -> Int {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["memory", "--applications", String(applications)]
        let pipe = Pipe()
        child.standardOutput = pipe
        do { try child.run() } catch { return -1 }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Best of `rounds` passes, each with a fresh detector.
    static func throughput(_ observations: [Observation], configuration: DetectorConfiguration, rounds: Int) -> Double {
        var best = 0.0
        var sink = 0.0
        for _ in 0..<rounds {
            var detector = AnomalyDetector(configuration: configuration)
            let start = nanotime()
            for observation in observations { sink += detector.score(observation).value }
            let elapsed = Double(nanotime() - start) * 1e-9
            best = max(best, Double(observations.count) / elapsed)
        }
        if sink.isNaN { print("") }
        return best
    }

    /// Lines per second, as `sluice detect` reads a file: the workload's JSON lines (as `generate`
    /// writes them, with `label` and `incident` for the decoder to skip) in one buffer, each read in
    /// place by `DecisionEvent(jsonLine:)`; and the events written by `jsonLine`, as the agent
    /// writes its stream (best of `rounds` passes each).
    static func parsing(_ workload: Workload, rounds: Int = 5) -> (parser: Double, encoder: Double, bytes: Double) {
        var buffer: [UInt8] = []
        var lines: [Range<Int>] = []
        buffer.reserveCapacity(workload.events.count * 450)
        for event in workload.events {
            let start = buffer.count
            buffer.append(contentsOf: event.jsonLine.utf8)
            lines.append(start..<buffer.count)
            buffer.append(UInt8(ascii: "\n"))
        }
        var sink = 0
        let best = buffer.withUnsafeBufferPointer { all in
            var best = 0.0
            for _ in 0..<rounds {
                let start = nanotime()
                for line in lines {
                    if let event = try? DecisionEvent(jsonLine: UnsafeBufferPointer(rebasing: all[line])) { sink &+= Int(event.port) }
                }
                best = max(best, Double(lines.count) / (Double(nanotime() - start) * 1e-9))
            }
            return best
        }
        var encoderBest = 0.0
        for _ in 0..<rounds {
            let start = nanotime()
            for labelled in workload.events { sink &+= labelled.event.jsonLine.utf8.count }
            encoderBest = max(encoderBest, Double(workload.events.count) / (Double(nanotime() - start) * 1e-9))
        }
        if sink == 42 { print("") }
        return (best, encoderBest, Double(buffer.count - lines.count) / Double(max(1, lines.count)))
    }

    static func run(_ workload: Workload, configuration: DetectorConfiguration) -> BenchResult {
        let observations = workload.events.map { Observation($0.event) }
        let applications = Set(observations.map(\.app)).count
        let rate = throughput(observations, configuration: configuration, rounds: 3)

        // A stream spread over 10,000 applications: their baselines no longer fit in the caches.
        var rng = SplitMix64(seed: workload.seed ^ 0xBEEF)
        let keys = applicationKeys(10_000)
        var time = Calendar.start
        let spread = (0..<1_000_000).map { index -> Observation in
            time += Int64(rng.below(2_000_000))
            let app = keys[rng.below(keys.count)]
            return Observation(
                time: time, app: app, destination: v4(10, rng.below(4), rng.below(256), rng.below(256)),
                port: UInt16(rng.pick([443, 80, 5432, 53, 8080])), transport: .tcp, verdict: .allow)
        }
        let manyRate = throughput(spread, configuration: configuration, rounds: 2)

        // Latency of each event, timed one by one.
        var detector = AnomalyDetector(configuration: configuration)
        var latencies = [UInt64](repeating: 0, count: observations.count)
        var sink = 0.0
        for (index, observation) in observations.enumerated() {
            let start = nanotime()
            sink += detector.score(observation).value
            latencies[index] = nanotime() - start
        }
        var overhead = [UInt64](repeating: 0, count: 100_000)
        for index in overhead.indices {
            let start = nanotime()
            overhead[index] = nanotime() - start
        }
        overhead.sort()
        latencies.sort()
        func percentile(_ p: Double) -> Double { Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) }
        if sink.isNaN { print("") }

        // Memory for 10,000 applications: the detector's own account and the process's growth.
        var many = AnomalyDetector(configuration: configuration)
        for observation in spread.prefix(400_000) { _ = many.score(observation) }
        precondition(many.applicationCount == 10_000)

        let parsing = parsing(workload)
        return BenchResult(
            events: observations.count, applications: applications, eventsPerSecond: rate,
            manyAppsEventsPerSecond: manyRate, p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999),
            timerOverhead: Double(overhead[overhead.count / 2]), bytesPerApplication: AnomalyDetector.bytesPerApplication,
            nodeBytes: AnomalyDetector.nodeBytes, footprintTenThousand: many.memoryFootprint,
            residentTenThousand: residentGrowth(applications: 10_000), parsedLinesPerSecond: parsing.parser,
            encodedLinesPerSecond: parsing.encoder, lineBytes: parsing.bytes)
    }
}

import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Throughput, latency and memory of Sluice's scorer on one core.")

    @OptionGroup var workload: WorkloadOptions

    @Flag(help: "Measure only the parsing of event JSON lines.")
    var parseOnly = false

    func run() throws {
        let data = try workload.makeWorkload()
        if parseOnly {
            let parsing = Bench.parsing(data, rounds: 10)
            print("decode \(Int(parsing.parser)) lines/s, encode \(Int(parsing.encoder)) lines/s, \(Int(parsing.bytes)) bytes a line")
            return
        }
        print(ReportText.benchText(Bench.run(data, configuration: workload.detectorConfiguration)))
    }
}

extension ReportText {
    static func benchText(_ bench: BenchResult) -> String {
        """
        | measure | value |
        |---|---|
        | events scored (workload, \(bench.applications) applications) | \(bench.events) |
        | throughput, one core, workload | \(Int(bench.eventsPerSecond)) events/s |
        | throughput, one core, 10,000 applications | \(Int(bench.manyAppsEventsPerSecond)) events/s |
        | latency per event p50 / p99 / p99.9 | \(Int(bench.p50)) / \(Int(bench.p99)) / \(Int(bench.p999)) ns (clock read: \(Int(bench.timerOverhead)) ns) |
        | bytes per application | \(bench.bytesPerApplication) |
        | node-wide state | \(bench.nodeBytes) bytes |
        | memory for 10,000 applications (detector's account) | \(format(Double(bench.footprintTenThousand) / 1_048_576, digits: 1)) MiB |
        | memory for 10,000 applications (resident growth of a fresh process) | \(format(Double(bench.residentTenThousand) / 1_048_576, digits: 1)) MiB |
        | parse: event JSON lines (\(Int(bench.lineBytes.rounded())) bytes on average) to events, one core, `DecisionEvent(jsonLine:)` | \(Int(bench.parsedLinesPerSecond)) lines/s |
        | encode: the same events to JSON lines, one core, `jsonLine` | \(Int(bench.encodedLinesPerSecond)) lines/s |
        """
    }
}

/// `sluice-eval memory`: prints how many bytes the resident set grew while a detector took on N
/// applications. Used by `bench` in a child process.
struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Resident growth for N applications (used by bench).", shouldDisplay: false)

    @Option(help: "Applications to create.")
    var applications: Int = 10_000

    func run() throws {
        let keys = Bench.applicationKeys(applications)
        var rng = SplitMix64(seed: 9)
        let before = Bench.residentBytes()
        var detector = AnomalyDetector(configuration: DetectorConfiguration(maximumApplications: max(1, applications)))
        var time = Calendar.start
        for round in 0..<40 {
            for key in keys {
                time += Int64(rng.below(100_000))
                _ = detector.score(
                    Observation(
                        time: time, app: key, destination: v4(10, rng.below(4), rng.below(256), rng.below(256)),
                        port: UInt16(443 + round % 3), transport: .tcp, verdict: .allow))
            }
        }
        let after = Bench.residentBytes()
        precondition(detector.applicationCount == applications)
        print(after - before)
    }
}
