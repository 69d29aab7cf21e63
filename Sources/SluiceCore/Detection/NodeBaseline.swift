/// What the detector knows about the node as a whole: which addresses and services any
/// application used, and the pooled outcome counts young applications borrow from.
struct NodeBaseline: Baseline, Sendable {
    /// 4 rows of 65,536 8-bit counters (256 KiB).
    var sketch = CountMinSketch(width: 1 << 16)
    var destination = CategoricalCounts<14>()
    var service = CategoricalCounts<5>()
    var pairing = CategoricalCounts<3>()
    var verdict = CategoricalCounts<4>()
    var periodicity = CategoricalCounts<3>()
    var series = CategoricalCounts<2>()
    var hours = HourProfile()
    var rates = InlineArray<6, RateHistogram>(repeating: RateHistogram())
    /// Events from established applications (0) and from late arrivals in their first hour (1).
    var arrivals = CategoricalCounts<2>()
    var firstSeen: Int64 = .min
    var events: UInt64 = 0
    var sketchAge: UInt32 = 0
    var sketchFreshKeys: UInt32 = 0

    init() {}

    static let sketchHalvingPeriod: UInt32 = 1 << 18
    static let sketchFreshKeyLimit: UInt32 = 1 << 15
    static let categoricalCap: Float = 1_048_576
    static let rateCaps: InlineArray<6, Float> = [131_072, 131_072, 131_072, 32768, 32768, 32768]

    /// Warm once it has seen `events` events over at least `duration` nanoseconds.
    func isWarm(at time: Int64, events minimum: Int, duration: Int64) -> Bool {
        firstSeen != .min && events >= UInt64(max(0, minimum)) && time - firstSeen >= duration
    }

    func write(to writer: inout SnapshotWriter) {
        writeHistory(to: &writer)
        arrivals.write(to: &writer)
        writer.write(firstSeen)
        writer.write(events)
        writer.write(sketchAge)
        writer.write(sketchFreshKeys)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        self.init()
        try readHistory(from: &reader)
        arrivals = try CategoricalCounts(from: &reader)
        firstSeen = try reader.read()
        events = try reader.read()
        sketchAge = try reader.read()
        sketchFreshKeys = try reader.read()
    }
}
