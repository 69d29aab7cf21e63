import ArgumentParser
import Logging

/// sluice-bench: figures for docs/benchmarks.md. Needs root; uses its own throwaway cgroups and
/// pin folders, never the cgroup2 root.
@main
struct SluiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Benchmarks of Sluice's datapath and policy pipeline (prints figures; not tests).",
        subcommands: [LatencyBenchmark.self, ApplyBenchmark.self, ReloadBenchmark.self, AgentEventsBenchmark.self, AllBenchmarks.self],
        defaultSubcommand: AllBenchmarks.self)
}

struct AllBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Every benchmark, in one run.")

    func run() async throws {
        var latency = try LatencyBenchmark.parse([])
        try await latency.run()
        var apply = try ApplyBenchmark.parse([])
        try await apply.run()
        var reload = try ReloadBenchmark.parse([])
        try await reload.run()
    }
}

let benchLogger: Logger = {
    var logger = Logger(label: "sluice.bench")
    logger.logLevel = .error
    return logger
}()
