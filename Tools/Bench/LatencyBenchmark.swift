import ArgumentParser
import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Synchronization

/// Added latency per UDP connect and per TCP loopback connect: one cgroup with no program and
/// one cgroup per rule count with Sluice attached, measured in rounds that alternate between
/// them so drift hits every configuration alike. A consumer drains each ring buffer meanwhile,
/// as the agent would.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "latency", abstract: "Added connect latency vs rule count.")

    @Option(help: "Rule counts, comma-separated.")
    var rules: String = "10,10000,100000"

    @Option(help: "TCP connections per measurement.")
    var tcpIterations: Int = 6000

    @OptionGroup var connects: ConnectRoundOptions

    @Option(help: "Event mode while measuring: all, deny-alert or none.")
    var events: String = "all"

    @Option(help: "Also measure the smallest rule count with this many feed-layer indicators held (IPv4 addresses, prefixes and names; 0: no such configuration).")
    var intel: Int = 0

    @Flag(help: "Also report the kernel's own timing of each program run (kernel.bpf_stats_enabled adds about 50-100 ns to every run while on, so end-to-end figures of such a run are higher).")
    var kernelStats = false

    @Flag(help: "Also measure a cgroup with a pass program (return 1) at each of Sluice's hooks, and one more on inet_sock_set_state beside Sluice's TCP state tracer: the floor any program there costs, end to end and per run.")
    var floor = false

    /// The cgroup hooks a TCP connect+accept+close runs, and the programs timed per connection.
    static let tcpHooks: [Hook] = [.sockCreate, .connect4, .egress, .ingress, .sockRelease]

    func run() async throws {
        let counts = rules.split(separator: ",").compactMap { Int($0) }
        guard let eventMode = EventMode(rawValue: events) else { throw ValidationError("--events: all, deny-alert or none") }
        print("## Added connect latency (events: \(events)\(kernelStats ? ", kernel stats on" : ""))\n")
        try await KernelSandbox.with("bench-latency") { sandbox in
            var configurations: [(name: String, cgroup: String)] = [("none", try sandbox.child("none"))]
            var datapaths: [Datapath] = []
            var generator = RuleGenerator()
            let withIntel = intel > 0 ? counts.prefix(1).map { -$0 } : []
            for signed in counts + withIntel {
                let count = abs(signed)
                let name = signed < 0 ? "\(count)-intel" : "\(count)"
                let cgroup = try sandbox.child("rules-\(name)")
                let compiled = PolicyCompiler.compile(
                    try PolicyFixture.parse(generator.policy(name: "bench-\(count)", count: count)),
                    resolver: SystemSubjectResolver(cgroups: sandbox.cgroups))
                var capacity = DatapathCapacity()
                capacity.destinationsPerFamily = UInt32(max(262_144, count * 3))
                let datapath = try Datapath(
                    configuration: DatapathConfiguration(
                        pins: PinLayout(directory: sandbox.pinDirectory + "-\(name)"),
                        cgroupPath: try sandbox.cgroups.absolutePath(cgroup), capacity: capacity),
                    logger: benchLogger)
                try datapath.setRuntime(DatapathRuntime(agent: nil, eventMode: eventMode))
                try datapath.apply(try DatapathImage(compiled))
                if signed < 0 {
                    // The feed layer's every lookup runs: addresses, prefixes and names held.
                    var set = IntelLayerSet()
                    let upserts = (0..<intel).map(IntelBenchmark.indicator)
                    try datapath.applyIntel(set.apply(IntelDelta(cursor: 1, full: true, feeds: ["bench"], upserts: upserts, removals: [], more: false), now: Date()))
                }
                try datapath.attach()
                datapaths.append(datapath)
                configurations.append((signed < 0 ? "\(count) rules + \(intel) feed indicators" : "\(count) rules", cgroup))
            }
            defer {
                for signed in counts + withIntel {
                    let name = signed < 0 ? "\(abs(signed))-intel" : "\(signed)"
                    _ = try? PinnedDatapath(pins: PinLayout(directory: sandbox.pinDirectory + "-\(name)")).unload()
                }
            }
            var passes: [Hook: PassProgram] = [:]
            var passTracer: PassProgram?
            if floor {
                let cgroup = try sandbox.child("pass")
                let path = try sandbox.cgroups.absolutePath(cgroup)
                for hook in Hook.allCases { passes[hook] = try PassProgram(hook: hook, cgroupPath: path) }
                passTracer = try PassProgram(tracepoint: "inet_sock_set_state")
                configurations.append(("pass programs only", cgroup))
            }
            let consumers = datapaths.map { try? EventConsumer(datapath: $0) }
            // The kernel times each program run: precise where end-to-end figures are noisy.
            let stats = try BPFStatsSetting(enabled: kernelStats)
            defer { stats.restore() }

            var udp = Array(repeating: [Double](), count: configurations.count)
            var tcp = Array(repeating: [Double](), count: configurations.count)
            // Per configuration: each TCP program's runs and time while that configuration's
            // connections ran (the tracer is global, so only its own stretch counts).
            let readers: [[() throws -> (runs: UInt64, nanoseconds: UInt64)]] = configurations.indices.map { index in
                if index == 0 { return [] }
                if index <= datapaths.count {
                    let datapath = datapaths[index - 1]
                    return Self.tcpHooks.map { hook in { try datapath.runStatistics(hook) } } + [{ try datapath.runStatistics(.tcpState) }]
                }
                return Self.tcpHooks.map { hook in { try passes[hook]!.runStatistics() } } + [{ try passTracer!.runStatistics() }]
            }
            var tcpRuns = readers.map { Array(repeating: KernelRuns(), count: $0.count) }
            for round in 1...connects.rounds {
                for (index, configuration) in configurations.enumerated() {
                    let path = try sandbox.cgroups.absolutePath(configuration.cgroup)
                    udp[index].append(try measure(path, "bench-udp-connect", "127.0.0.1", "9", connects.udpIterations))
                    let runs = try KernelRuns.during(kernelStats ? readers[index] : []) {
                        tcp[index].append(try measure(path, "bench-tcp-connect", "127.0.0.1", "0", tcpIterations))
                    }
                    for (program, delta) in runs.enumerated() { tcpRuns[index][program] += delta }
                }
                connects.progress(round)
            }
            let delivered = consumers.map { $0?.stop() ?? 0 }

            // Paired differences: each round measures every configuration back to back, so the
            // difference within a round cancels most of the machine's drift.
            func added(_ values: [[Double]], _ index: Int) -> Sample {
                Sample(values: zip(values[index], values[0]).map { $0 - $1 })
            }
            print("| configuration | UDP connect ns (median) | added ns (median of paired diffs, IQR) | TCP connect+accept ns (median) | added (median of paired diffs) | program ns/run (kernel's count) | events delivered / lost |")
            print("|---|---|---|---|---|---|---|")
            for (index, configuration) in configurations.enumerated() {
                let u = Sample(values: udp[index]).median
                let t = Sample(values: tcp[index]).median
                var eventsColumn = "-"
                var programColumn = "-"
                var udpAdded = "-"
                var tcpAdded = "-"
                if index > 0 {
                    let udpDiff = added(udp, index)
                    let tcpDiff = added(tcp, index)
                    udpAdded = "\(format(udpDiff.median)) (\(format(udpDiff.quantile(0.25)))..\(format(udpDiff.quantile(0.75))))"
                    tcpAdded = "\(format(tcpDiff.median)) (\(format(tcpDiff.median / Sample(values: tcp[0]).median * 100))%)"
                    // The pass-only cgroup comes after the datapaths: no counters, no events.
                    let stats = index > datapaths.count ? try passes[.connect4]!.runStatistics() : try datapaths[index - 1].runStatistics(.connect4)
                    if stats.runs > 0 { programColumn = format(Double(stats.nanoseconds) / Double(stats.runs)) }
                    if index <= datapaths.count {
                        eventsColumn = "\(delivered[index - 1]) / \(try datapaths[index - 1].counters().eventsLost)"
                    }
                }
                print("| \(configuration.name) | \(format(u)) | \(udpAdded) | \(format(t)) | \(tcpAdded) | \(programColumn) | \(eventsColumn) |")
            }
            if datapaths.count > 1 {
                let first = added(udp, 1).median
                let last = added(udp, datapaths.count).median
                print("\nAdded UDP cost, largest vs smallest rule count: \(format(last / first, 2))x")
            }
            if kernelStats { printTCPPrograms(configurations.map(\.name), tcpRuns, floorIndex: floor ? configurations.count - 1 : nil) }
            print("\nSpread (min..max ns): " + configurations.indices.map {
                "\(configurations[$0].name): udp \(format(Sample(values: udp[$0]).minimum))..\(format(Sample(values: udp[$0]).maximum)), tcp \(format(Sample(values: tcp[$0]).minimum))..\(format(Sample(values: tcp[$0]).maximum))"
            }.joined(separator: "; "))
        }
    }

    /// The programs a TCP connect+accept+close runs (client and listener in the cgroup): runs per
    /// connection, ns per run raw, the pass program's at the same hook, and what that makes per
    /// connection.
    func printTCPPrograms(_ names: [String], _ runs: [[KernelRuns]], floorIndex: Int?) {
        let connections = Double(tcpIterations * connects.rounds)
        print("\n### Programs per TCP connect+accept+close (kernel.bpf_stats_enabled; \(tcpIterations * connects.rounds) connections per configuration)\n")
        print("| configuration | program | runs per connection | raw ns per run | floor ns per run | net ns per run | raw ns per connection | net ns per connection |")
        print("|---|---|---|---|---|---|---|---|")
        let programs = Self.tcpHooks.map(\.programName) + [Tracer.tcpState.programName + " (global)"]
        for index in runs.indices where !runs[index].isEmpty && index != floorIndex {
            var rawTotal = 0.0
            var netTotal = 0.0
            for (program, name) in programs.enumerated() {
                let raw = runs[index][program]
                let floorRuns = floorIndex.map { runs[$0][program] }
                let figures = rawFloorNet(raw, floorRuns)
                let perConnection = Double(raw.runs) / connections
                let rawPer = Double(raw.nanoseconds) / connections
                let netPer = rawPer - perConnection * (floorRuns?.nanosecondsPerRun ?? 0)
                rawTotal += rawPer
                netTotal += netPer
                print("| \(names[index]) | \(name) | \(format(perConnection, 2)) | \(figures.raw) | \(figures.floor) | \(figures.net) | \(format(rawPer)) | \(floorIndex == nil ? "-" : format(netPer)) |")
            }
            print("| \(names[index]) | all | | | | | \(format(rawTotal)) | \(floorIndex == nil ? "-" : format(netTotal)) |")
        }
    }

    /// One probe run in `cgroup`; its ns per operation.
    func measure(_ cgroup: String, _ operation: String, _ address: String, _ port: String, _ iterations: Int) throws -> Double {
        let output = try ChildProcess.run(Probe.builtPath, ["--join", cgroup, operation, address, port, String(iterations)])
        guard let field = output.standardOutput.split(separator: " ").first(where: { $0.hasPrefix("ns_per_op=") }),
            let value = Double(field.dropFirst("ns_per_op=".count))
        else {
            throw SandboxError("probe failed: \(output.standardOutput) \(output.standardError)")
        }
        return value
    }
}

/// Drains a datapath's ring buffer on a thread, as the agent does, counting records.
final class EventConsumer: Sendable {
    private let stopFlag = Mutex(false)
    private let count = Mutex(0)
    private let finished = Mutex(false)

    init(datapath: Datapath) throws {
        let reader = try RingBufferReader(map: datapath.events)
        Thread.detachNewThread { [self] in
            while !stopFlag.withLock({ $0 }) {
                let batch = (try? reader.poll(timeoutMilliseconds: 50)) ?? RingBufferReader.Batch()
                count.withLock { $0 += batch.decisions.count }
            }
            finished.withLock { $0 = true }
        }
    }

    /// Stops the thread; returns how many records it read.
    func stop() -> Int {
        stopFlag.withLock { $0 = true }
        while !finished.withLock({ $0 }) { usleep(10_000) }
        return count.withLock { $0 }
    }
}
