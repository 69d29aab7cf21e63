/// A streaming estimate of a high quantile of an application's own scores: a histogram of
/// one-bit buckets from 0 to 64 bits with halving decay, read by interpolation inside the bucket
/// where the quantile falls. 65 floats, constant time per update.
struct StreamingQuantile: Sendable {
    static let buckets = 64
    /// Decayed counts per bucket: the same halving and snapshot as outcome counts.
    private var counts = CategoricalCounts<64>()
    var total: Float { counts.total }

    init() {}

    @inline(__always)
    mutating func add(_ value: Double, cap: Float) {
        counts.add(value <= 0 ? 0 : min(Self.buckets - 1, Int(value)), weight: 1, cap: cap)
    }

    /// The value below which a fraction `q` of the recorded scores fall; 0 with no history.
    func quantile(_ q: Double) -> Double {
        guard total > 0 else { return 0 }
        let above = Double(total) * (1 - q)
        var seen = 0.0
        for bucket in stride(from: Self.buckets - 1, through: 0, by: -1) {
            let count = Double(counts[bucket])
            if seen + count >= above && count > 0 {
                // The quantile lies in this bucket: interpolate from its top.
                let inside = (above - seen) / count
                return Double(bucket + 1) - inside
            }
            seen += count
        }
        return 0
    }

    func write(to writer: inout SnapshotWriter) { counts.write(to: &writer) }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        counts = try CategoricalCounts(from: &reader)
    }
}
