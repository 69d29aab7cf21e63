import SluiceKernel

/// One program's run count and nanoseconds as the kernel keeps them (`kernel.bpf_stats_enabled`),
/// read before and after a stretch of work.
struct KernelRuns {
    var runs: UInt64 = 0
    var nanoseconds: UInt64 = 0

    var nanosecondsPerRun: Double? { runs > 0 ? Double(nanoseconds) / Double(runs) : nil }

    static func - (after: KernelRuns, before: KernelRuns) -> KernelRuns {
        KernelRuns(runs: after.runs &- before.runs, nanoseconds: after.nanoseconds &- before.nanoseconds)
    }

    static func += (total: inout KernelRuns, delta: KernelRuns) {
        total.runs += delta.runs
        total.nanoseconds += delta.nanoseconds
    }

    /// What `read` gives after `work` minus what it gave before, for each reader.
    static func during(_ readers: [() throws -> (runs: UInt64, nanoseconds: UInt64)], _ work: () throws -> Void) throws -> [KernelRuns] {
        let before = try readers.map { KernelRuns(try $0()) }
        try work()
        return try readers.enumerated().map { KernelRuns(try $0.element()) - before[$0.offset] }
    }

    init(runs: UInt64 = 0, nanoseconds: UInt64 = 0) {
        self.runs = runs
        self.nanoseconds = nanoseconds
    }

    init(_ statistics: (runs: UInt64, nanoseconds: UInt64)) {
        self.init(runs: statistics.runs, nanoseconds: statistics.nanoseconds)
    }
}

/// A row's three figures: Sluice's ns per run, the floor's (a pass program at the same hook in
/// the same run) and the difference, what Sluice's own code costs.
func rawFloorNet(_ raw: KernelRuns, _ floor: KernelRuns?) -> (raw: String, floor: String, net: String) {
    let rawText = raw.nanosecondsPerRun.map { format($0) } ?? "-"
    guard let floorValue = floor?.nanosecondsPerRun else { return (rawText, "-", "-") }
    let net = raw.nanosecondsPerRun.map { format($0 - floorValue) } ?? "-"
    return (rawText, format(floorValue), net)
}
