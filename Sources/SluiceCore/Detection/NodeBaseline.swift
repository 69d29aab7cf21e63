/// What the detector knows about the node as a whole: which addresses and services any
/// application used, and the pooled outcome counts young applications borrow from.
struct NodeBaseline: Sendable {
    /// 4 rows of 65,536 8-bit counters (256 KiB).
    var sketch = CountMinSketch(width: 1 << 16)
    /// Destination outcomes, public destinations then private ones (7 each).
    var destination = CategoricalCounts<14>()
    var service = CategoricalCounts<5>()
    var pairing = CategoricalCounts<3>()
    var verdict = CategoricalCounts<4>()
    var periodicity = CategoricalCounts<3>()
    /// Steady series that began: to established destinations (0) and to young ones (1).
    var series = CategoricalCounts<2>()
    var hours = HourProfile()
    var rates = InlineArray<6, RateHistogram>(repeating: RateHistogram())
    /// Events from established applications (0) and from late arrivals in their first hour (1).
    var arrivals = CategoricalCounts<2>()
    var firstSeen: Int64 = .min
    var events: UInt64 = 0
    var sketchAge: UInt32 = 0
    /// Keys new to the sketch since it last halved.
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

    /// Adds one event's keys to the sketch. The sketch halves (one-off keys vanish, habits stay)
    /// after `sketchHalvingPeriod` events, or sooner when new keys would fill it: an application
    /// with many destinations forgets faster, so its sketch keeps telling new from known.
    @inline(__always)
    mutating func learn(_ keys: ObservationKeys, amount: Int = 1) {
        var fresh: UInt32 = 0
        if sketch.add(keys.address, amount: amount) { fresh += 1 }
        if sketch.add(keys.network, amount: amount) { fresh += 1 }
        if sketch.add(keys.service, amount: amount) { fresh += 1 }
        if sketch.add(keys.pair, amount: amount) { fresh += 1 }
        sketchAge &+= 1
        sketchFreshKeys &+= fresh
        if sketchAge >= Self.sketchHalvingPeriod || sketchFreshKeys >= Self.sketchFreshKeyLimit {
            sketch.halve()
            sketchAge = 0
            sketchFreshKeys = 0
        }
    }

    func write(to writer: inout SnapshotWriter) {
        sketch.write(to: &writer)
        destination.write(to: &writer)
        service.write(to: &writer)
        pairing.write(to: &writer)
        verdict.write(to: &writer)
        periodicity.write(to: &writer)
        series.write(to: &writer)
        hours.write(to: &writer)
        for channel in 0..<RateChannel.count { rates[channel].write(to: &writer) }
        arrivals.write(to: &writer)
        writer.write(firstSeen)
        writer.write(events)
        writer.write(sketchAge)
        writer.write(sketchFreshKeys)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        sketch = try CountMinSketch(from: &reader)
        destination = try CategoricalCounts(from: &reader)
        service = try CategoricalCounts(from: &reader)
        pairing = try CategoricalCounts(from: &reader)
        verdict = try CategoricalCounts(from: &reader)
        periodicity = try CategoricalCounts(from: &reader)
        series = try CategoricalCounts(from: &reader)
        hours = try HourProfile(from: &reader)
        for channel in 0..<RateChannel.count { rates[channel] = try RateHistogram(from: &reader) }
        arrivals = try CategoricalCounts(from: &reader)
        firstSeen = try reader.read()
        events = try reader.read()
        sketchAge = try reader.read()
        sketchFreshKeys = try reader.read()
    }
}
