/// One application's token bucket under one `rate-limit` rule, as GCRA keeps it: a single
/// number, the theoretical arrival time. The arithmetic of `sluice_rate_admits`
/// (BPF/sluice_rate.h), for what user space must predict of it (the replay of recorded traffic).
public struct RateBucket: Sendable, Hashable {
    /// When the bucket is next empty of debt, in the clock of the times given; nil before the
    /// first connect (a full bucket).
    public private(set) var arrival: UInt64?

    public init(arrival: UInt64? = nil) {
        self.arrival = arrival
    }

    /// Whether a connect at `now` (nanoseconds) is admitted, taking its token when it is. As the
    /// kernel does: a bucket not yet made starts full, a rate whose interval rounds to zero
    /// admits nothing, and a refused connect leaves the bucket as it was.
    public mutating func admits(at now: UInt64, interval: UInt64, tolerance: UInt64) -> Bool {
        guard interval > 0 else { return false }
        guard let seen = arrival else {
            arrival = now + interval
            return true
        }
        let base = max(seen, now)
        if base - now > tolerance { return false }
        arrival = base + interval
        return true
    }

    /// `admits(at:interval:tolerance:)` with a policy's rate.
    public mutating func admits(at now: UInt64, rate: ConnectionRate) -> Bool {
        admits(at: now, interval: rate.intervalNanoseconds, tolerance: rate.toleranceNanoseconds)
    }
}
