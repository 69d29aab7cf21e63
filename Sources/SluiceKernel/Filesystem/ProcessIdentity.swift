import Foundation
@preconcurrency import Glibc

/// A process that a reused pid cannot impersonate: its pid and its start time.
public struct ProcessIdentity: Sendable, Hashable, Codable {
    public var pid: Int32
    /// Start time in clock ticks since boot, field 22 of /proc/PID/stat.
    public var startTicks: UInt64
    /// Nanoseconds per clock tick, to compare with the kernel's `start_boottime`.
    public var nanosecondsPerTick: UInt64

    public init(pid: Int32, startTicks: UInt64, nanosecondsPerTick: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
        self.nanosecondsPerTick = nanosecondsPerTick
    }

    /// This process.
    public static func current() throws -> ProcessIdentity {
        try of(pid: getpid())
    }

    public static func of(pid: Int32) throws -> ProcessIdentity {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
        guard let close = text.lastIndex(of: ")") else { throw FilesystemError.system(operation: "parse", path: "/proc/\(pid)/stat", errno: EINVAL) }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); starttime is field 22.
        guard fields.count > 19, let start = UInt64(fields[19]) else {
            throw FilesystemError.system(operation: "parse", path: "/proc/\(pid)/stat", errno: EINVAL)
        }
        let ticksPerSecond = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessIdentity(pid: pid, startTicks: start, nanosecondsPerTick: 1_000_000_000 / max(ticksPerSecond, 1))
    }
}
