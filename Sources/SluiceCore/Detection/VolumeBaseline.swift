/// How much one application sends per connection: a log2 histogram of its finished
/// connections' bytes sent, so that an upload far above its habit (exfiltration by volume) is
/// scored. 200 bytes per application.
public struct VolumeBaseline: Sendable, Hashable {
    /// Connections by the bit length of their bytes sent (0: nothing sent).
    var buckets = [UInt32](repeating: 0, count: 48)
    var total: UInt32 = 0

    /// Finished connections needed before the habit is trusted.
    public static let minimumHistory: UInt32 = 20
    /// The least upload that can be news: below it, even a thousandfold jump is small.
    public static let minimumBytes: UInt64 = 1 << 20

    public init() {}

    /// Scores one finished connection against the habit, then learns from it unless it is an
    /// anomaly (an upload must not become the habit it is judged against).
    public mutating func observe(sent: UInt64, received: UInt64) -> VolumeFinding? {
        let bucket = Self.bucket(sent)
        var finding: VolumeFinding?
        if total >= Self.minimumHistory, sent >= Self.minimumBytes, let usual = quantileBucket(0.99), bucket >= usual + 3 {
            // Four bits per doubling over the usual high bucket: eight times the usual largest
            // upload is 12 bits, sixty-four times 24 (the cap the rate features share).
            finding = VolumeFinding(
                bits: Double(min(24, 4 * (bucket - usual))), sent: sent, received: received, usualHigh: UInt64(1) << usual)
        }
        if finding == nil {
            buckets[bucket] &+= 1
            total &+= 1
        }
        return finding
    }

    static func bucket(_ bytes: UInt64) -> Int { min(47, 64 - bytes.leadingZeroBitCount) }

    /// The bucket under which `quantile` of the connections fall.
    func quantileBucket(_ quantile: Double) -> Int? {
        guard total > 0 else { return nil }
        let wanted = UInt32((Double(total) * quantile).rounded(.up))
        var seen: UInt32 = 0
        for (index, count) in buckets.enumerated() {
            seen &+= count
            if seen >= wanted { return index }
        }
        return buckets.count - 1
    }
}

/// An upload far above the application's habit.
public struct VolumeFinding: Sendable, Hashable, CustomStringConvertible {
    /// The anomaly score in bits.
    public var bits: Double
    public var sent: UInt64
    public var received: UInt64
    /// The top of the application's usual high bucket: 99% of its connections sent less.
    public var usualHigh: UInt64

    public var description: String {
        "volume: sent \(Quota.size(sent)) in one connection, \(sent / max(1, usualHigh))× its usual high of \(Quota.size(usualHigh))"
            + " (received \(Quota.size(received)))"
    }
}
