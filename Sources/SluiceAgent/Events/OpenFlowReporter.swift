@preconcurrency import Glibc
import SluiceKernel

/// Chooses which open connections get a flow record at a sweep: those at least one interval old
/// whose counts moved since their last record. An idle connection is not repeated; its final
/// record still comes when it ends.
struct OpenFlowReporter {
    let interval: UInt64
    private var lastSweep: UInt64 = 0
    /// Packets and bytes each connection had at its last record, by cookie; only connections
    /// still open at the last sweep.
    private var reported: [UInt64: UInt64] = [:]

    init(interval: Duration) {
        let (seconds, attoseconds) = interval.components
        self.interval = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// Whether an interval passed since the last sweep (and starts the next interval if so).
    mutating func isDue(now: UInt64 = Self.bootTime()) -> Bool {
        guard now >= lastSweep + interval else { return false }
        lastSweep = now
        return true
    }

    /// The records to publish out of a sweep's.
    mutating func select(_ records: [RawEvent]) -> [RawEvent] {
        var selected: [RawEvent] = []
        var next: [UInt64: UInt64] = [:]
        next.reserveCapacity(reported.count)
        for record in records {
            guard let flow = record.flow else { continue }
            let total = flow.bytesSent &+ flow.bytesReceived &+ flow.packetsSent &+ flow.packetsReceived
            if let previous = reported[flow.cookie] {
                next[flow.cookie] = total
                if previous != total { selected.append(record) }
            } else if record.bootTimeNanoseconds >= flow.startNanoseconds + interval {
                next[flow.cookie] = total
                selected.append(record)
            }
        }
        reported = next
        return selected
    }

    static func bootTime() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
