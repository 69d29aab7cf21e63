/// Outlying windows of the episode in progress (a flood, a sweep, a scan), held back from the
/// application's rate histograms until the episode ends: for each rate channel, how many of its
/// windows closed in each bucket (saturating at 255). While an episode lasts it is judged against
/// the history from before it began, however long it lasts; a young application, whose few
/// windows would otherwise be outweighed by the episode's own, gains the most. When a window of
/// the channel closes at its usual level again, the held windows join the history at the weight
/// of outlying windows. An episode of 255 windows in one bucket is the new normal: it joins the
/// history at once.
struct HeldWindows: Sendable {
    private var counts = InlineArray<96, UInt8>(repeating: 0)

    init() {}

    /// Holds a window of `channel` that closed in `bucket`. True when the count saturated: the
    /// caller should release the channel now.
    @inline(__always)
    mutating func hold(_ channel: RateChannel, bucket: Int) -> Bool {
        let index = channel.rawValue &* RateHistogram.buckets &+ bucket
        if counts[index] < 255 { counts[index] &+= 1 }
        return counts[index] == 255
    }

    /// Whether `channel` holds any window.
    @inline(__always)
    func isHolding(_ channel: RateChannel) -> Bool {
        let base = channel.rawValue &* RateHistogram.buckets
        var any: UInt8 = 0
        for bucket in 0..<RateHistogram.buckets { any |= counts[base &+ bucket] }
        return any != 0
    }

    /// Empties `channel`, giving each held bucket and its count of windows to `body`.
    @inline(__always)
    mutating func release(_ channel: RateChannel, _ body: (_ bucket: Int, _ windows: Int) -> Void) {
        let base = channel.rawValue &* RateHistogram.buckets
        for bucket in 0..<RateHistogram.buckets where counts[base &+ bucket] != 0 {
            body(bucket, Int(counts[base &+ bucket]))
            counts[base &+ bucket] = 0
        }
    }

    func write(to writer: inout SnapshotWriter) {
        for index in 0..<96 { writer.write(counts[index]) }
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        for index in 0..<96 { counts[index] = try reader.read() }
    }
}
