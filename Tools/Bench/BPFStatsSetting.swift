import Foundation

/// `kernel.bpf_stats_enabled` set for a stretch of a benchmark and put back as it was: while on,
/// the kernel counts each program's runs and nanoseconds (about 50-100 ns more per run).
struct BPFStatsSetting {
    private static let path = "/proc/sys/kernel/bpf_stats_enabled"
    private let previous: String

    init(enabled: Bool) throws {
        previous = (try? String(contentsOfFile: Self.path, encoding: .utf8)) ?? "0\n"
        try (enabled ? "1\n" : "0\n").write(toFile: Self.path, atomically: false, encoding: .utf8)
    }

    func restore() {
        try? previous.write(toFile: Self.path, atomically: false, encoding: .utf8)
    }
}
