/// Decayed counts of a feature's outcomes (such as "destination never seen on this node"), and
/// the surprisal of an outcome in bits.
///
/// An application's estimate is shrunk towards the node's: `p = (c + m·p_node) / (n + m)` with
/// prior weight `m`, so a young application borrows the node's habits and an old one speaks for
/// itself. Counts halve when their total passes a cap: memory of the recent past, in fixed space.
struct CategoricalCounts<let outcomes: Int>: Sendable {
    private var counts = InlineArray<outcomes, Float>(repeating: 0)
    private(set) var total: Float = 0

    init() {}

    subscript(outcome: Int) -> Float { counts[outcome] }

    /// The node-level probability of `outcome`, with add-one smoothing.
    @inline(__always)
    func probability(_ outcome: Int) -> Double {
        (Double(counts[outcome]) + 1) / (Double(total) + Double(outcomes))
    }

    /// Surprisal of `outcome` for an application with these counts, backed off to `node`.
    @inline(__always)
    func surprisal(_ outcome: Int, node: borrowing CategoricalCounts<outcomes>, prior: Double) -> Double {
        let p = (Double(counts[outcome]) + prior * node.probability(outcome)) / (Double(total) + prior)
        return FastLog.surprisal(p)
    }

    /// For ordered outcomes (familiar to alien) in blocks of `width` (one block per kind, such as
    /// public or private destinations): the surprisal of an outcome of this kind at least as
    /// unfamiliar as `outcome`, -log2 P(kind, X ≥ outcome). The most familiar outcome costs
    /// nothing, moving up from "rare" to "frequent" is never news, and a kind the application
    /// never produces stays rare.
    @inline(__always)
    func tailSurprisal(
        from outcome: Int, block: Int = 0, width: Int = outcomes, node: borrowing CategoricalCounts<outcomes>,
        prior: Double
    ) -> Double {
        if outcome == 0 { return 0 }
        let base = block * width
        var mine: Float = 0
        var theirs: Float = 0
        for index in (base + outcome)..<(base + width) {
            mine += counts[index]
            theirs += node.counts[index]
        }
        let nodeP = (Double(theirs) + Double(width - outcome)) / (Double(node.total) + Double(outcomes))
        return FastLog.surprisal((Double(mine) + prior * nodeP) / (Double(total) + prior))
    }

    @inline(__always)
    mutating func add(_ outcome: Int, weight: Float, cap: Float) {
        counts[outcome] += weight
        total += weight
        if total > cap { halve() }
    }

    mutating func halve() {
        for index in 0..<outcomes { counts[index] *= 0.5 }
        total *= 0.5
    }

    func write(to writer: inout SnapshotWriter) {
        for index in 0..<outcomes { writer.write(counts[index]) }
        writer.write(total)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        for index in 0..<outcomes { counts[index] = try reader.readFloat() }
        total = try reader.readFloat()
    }
}

/// The hour-of-day profile: 24 hourly counts, read with each hour's neighbours at half weight so
/// a job that drifts by a few minutes across an hour boundary stays habitual.
struct HourProfile: Sendable {
    private var counts = CategoricalCounts<24>()

    init() {}

    var total: Float { counts.total }

    /// The smoothed share of activity in `hour` (0...23), with add-one smoothing.
    @inline(__always)
    func smoothed(_ hour: Int) -> (mass: Double, total: Double) {
        let before = counts[(hour + 23) % 24]
        let after = counts[(hour + 1) % 24]
        let mass = Double(counts[hour]) + 0.5 * Double(before) + 0.5 * Double(after)
        return (mass, 2 * Double(counts.total))
    }

    /// Surprisal of activity at `hour` beyond that of a uniform day, backed off to the node's
    /// profile: -log2(24·p(hour)), at least 0. An application active around the clock scores 0 at
    /// every hour; an office-hours one scores at 3 a.m.
    @inline(__always)
    func surprisal(_ hour: Int, node: borrowing HourProfile, prior: Double) -> Double {
        let (nodeMass, nodeTotal) = node.smoothed(hour)
        let nodeP = (nodeMass + 1) / (nodeTotal + 24)
        let (mass, total) = smoothed(hour)
        return max(0, FastLog.surprisal(24 * (mass + prior * nodeP) / (total + prior)))
    }

    @inline(__always)
    mutating func add(_ hour: Int, weight: Float, cap: Float) {
        counts.add(hour, weight: weight, cap: cap)
    }

    func write(to writer: inout SnapshotWriter) { counts.write(to: &writer) }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        counts = try CategoricalCounts(from: &reader)
    }
}
