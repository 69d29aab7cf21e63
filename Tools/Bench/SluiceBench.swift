import ArgumentParser
import Logging

/// sluice-bench: figures for docs/benchmarks.md. The datapath benchmarks need root and use their
/// own throwaway cgroups and pin folders, never the cgroup2 root; the fleet benchmarks
/// (`fleet-push`, `ingest`) run a `sluice server` process and simulated agents, no kernel.
@main
struct SluiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Benchmarks of Sluice's datapath, policy pipeline, agent and fleet server (prints figures; not tests).",
        subcommands: [
            LatencyBenchmark.self, ApplyBenchmark.self, ReloadBenchmark.self, AgentEventsBenchmark.self, FleetPushBenchmark.self,
            IngestBenchmark.self, ReportsBenchmark.self, NamesBenchmark.self, FlowsBenchmark.self, ReplayBenchmark.self, ReplayServerBenchmark.self, FeedsBenchmark.self,
            IntelBenchmark.self,
            AllBenchmarks.self,
        ],
        defaultSubcommand: AllBenchmarks.self)
}

struct AllBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Every datapath and policy benchmark, in one run (the fleet ones are run on their own).")

    func run() async throws {
        let latency = try LatencyBenchmark.parse([])
        try await latency.run()
        let apply = try ApplyBenchmark.parse([])
        try await apply.run()
        let reload = try ReloadBenchmark.parse([])
        try await reload.run()
    }
}

let benchLogger: Logger = {
    var logger = Logger(label: "sluice.bench")
    logger.logLevel = .error
    return logger
}()
