/// The distribution of a count per window (connections per 10 s, new ports per hour, …) on a
/// log2 scale: bucket 0 holds 0, bucket b ≥ 1 holds 2^(b-1) ..< 2^b, the last bucket everything
/// above. A completed window adds one sample, so a flood lasting twenty seconds is two samples
/// however many connections it makes, and cannot teach itself as normal.
struct RateHistogram: Sendable {
    static let buckets = 16
    /// The decayed sample counts per bucket: the same halving and snapshot as outcome counts.
    private var counts = CategoricalCounts<16>()
    var total: Float { counts.total }

    init() {}

    /// The bucket of a count.
    @inline(__always)
    static func bucket(_ value: Int) -> Int {
        value <= 0 ? 0 : min(buckets - 1, Int.bitWidth - value.leadingZeroBitCount)
    }

    /// The weight of samples in `bucket` or above.
    @inline(__always)
    func tail(from bucket: Int) -> Double {
        var sum: Float = 0
        for index in bucket..<Self.buckets { sum += counts[index] }
        return Double(sum)
    }

    /// The node-level probability that a window reaches `bucket`, with a geometric prior (each
    /// doubling half as likely) for a node that has no history yet.
    @inline(__always)
    func probabilityOfReaching(_ bucket: Int) -> Double {
        let prior = 1 / Double(1 << min(bucket, 30))
        return (tail(from: bucket) + prior) / (Double(total) + 1)
    }

    /// Surprisal of a window reaching `bucket`: -log2 P(X ≥ value), backed off to the node, and
    /// nothing below 4 (bucket 3): two or three of anything in a window is never news. At most
    /// `bitsPerDoubling` for each doubling above `typical` (the application's usual high
    /// bucket). The tail alone would call two ports in ten seconds a 10-bit event for a service that
    /// nearly always uses one; the cap asks for a deviation that matters in size, not just in rarity.
    @inline(__always)
    func surprisal(reaching bucket: Int, typical: Int, node: borrowing RateHistogram, prior: Double) -> Double {
        let excess = bucket - typical
        if bucket <= 2 || excess <= 0 { return 0 }
        let p = (tail(from: bucket) + prior * node.probabilityOfReaching(bucket)) / (Double(total) + prior)
        return min(FastLog.surprisal(p), Self.bitsPerDoubling * Double(excess))
    }

    static let bitsPerDoubling = 4.0

    /// The bucket that holds the `q` quantile of the samples: the application's usual high level.
    /// Nil without samples.
    func typicalBucket(_ q: Float) -> Int? {
        guard total > 0 else { return nil }
        let allowed = total * (1 - q)
        var tail: Float = 0
        for bucket in stride(from: Self.buckets - 1, through: 0, by: -1) {
            tail += counts[bucket]
            if tail > allowed { return bucket }
        }
        return 0
    }

    @inline(__always)
    mutating func add(bucket: Int, weight: Float, cap: Float) {
        counts.add(bucket, weight: weight, cap: cap)
    }

    func write(to writer: inout SnapshotWriter) { counts.write(to: &writer) }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        counts = try CategoricalCounts(from: &reader)
    }
}
