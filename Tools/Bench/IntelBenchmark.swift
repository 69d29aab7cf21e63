import ArgumentParser
import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport

/// Feed layers on a node: a full set of indicators applied into the kernel's maps, then changes
/// of a few indicators, each through the agent's path (`IntelLayerSet.apply`, then
/// `Datapath.applyIntel`), timed from the delta received to the last map write.
struct IntelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "intel", abstract: "Feed-layer indicators applied: full set, then small changes.")

    @Option(help: "Indicators in the full set (a tenth of them domain names, the rest IPv4 addresses and prefixes).")
    var indicators: Int = 100_000

    @Option(help: "Indicators changed per incremental delta (half added, half removed).")
    var change: Int = 100

    @Option(help: "Incremental deltas measured.")
    var rounds: Int = 21

    func run() async throws {
        print("## Feed layers: \(indicators) indicators, then changes of \(change)\n")
        try await KernelSandbox.with("bench-intel") { sandbox in
            let datapath = try sandbox.datapath(logger: benchLogger)
            defer { _ = try? PinnedDatapath(pins: sandbox.pins).unload() }
            var set = IntelLayerSet()
            let full = (0..<indicators).map(Self.indicator)
            let start = ContinuousClock.now
            let changes = set.apply(IntelDelta(cursor: 1, full: true, feeds: ["bench"], upserts: full, removals: [], more: false), now: Date())
            let written = try datapath.applyIntel(changes)
            let fullSeconds = (ContinuousClock.now - start).seconds
            print("| step | indicators | map writes | seconds (delta received to last write) | of which map writes |")
            print("|---|---|---|---|---|")
            print("| full set | \(indicators) | \(written.writes) | \(format(fullSeconds, 3)) | \(format(written.seconds, 3)) |")
            var next = indicators
            var removable = 0
            var samples: [Double] = []
            var writes: [Double] = []
            for round in 1...rounds {
                let added = (next..<next + change / 2).map(Self.indicator)
                let removed = (removable..<removable + change / 2).map { Self.indicator($0).key }
                next += change / 2
                removable += change / 2
                let begin = ContinuousClock.now
                let delta = set.apply(IntelDelta(cursor: UInt64(round + 1), full: false, feeds: ["bench"], upserts: added, removals: removed, more: false), now: Date())
                let result = try datapath.applyIntel(delta)
                samples.append((ContinuousClock.now - begin).seconds * 1000)
                writes.append(Double(result.writes))
            }
            let sample = Sample(values: samples)
            print("| change (median of \(rounds)) | \(change) | \(format(Sample(values: writes).median, 0)) | \(format(sample.median / 1000, 4)) | max \(format(sample.maximum, 2)) ms |")
            print("\nkernel entries held: \(try datapath.intelEntryCount())")
        }
    }

    /// Indicator `n`: every tenth a domain name, else an address (every fiftieth a /24 prefix).
    static func indicator(_ n: Int) -> IntelIndicator {
        let text: String
        if n % 10 == 0 {
            text = "host\(n).bench-feed.example"
        } else if n % 50 == 1 {
            text = "10.\(n >> 16 & 255).\(n >> 8 & 255).0/24"
        } else {
            text = "10.\(n >> 16 & 255).\(n >> 8 & 255).\(n & 255)"
        }
        guard case .success(let target) = IntelTarget.parse(text) else { fatalError(text) }
        return IntelIndicator(feed: "bench", indicator: "ioc-\(n)", target: target, action: .deny, expires: nil)
    }
}
