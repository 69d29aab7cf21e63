/// A count-min sketch as a baseline holds one: it counts keys, and halves to forget.
protocol BaselineSketch: Sendable {
    /// True when the key was absent before.
    mutating func add(_ hash: UInt64, amount: Int) -> Bool
    mutating func halve()
    func write(to writer: inout SnapshotWriter)
    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError)
}

extension CountMinSketch: BaselineSketch {}
extension ApplicationSketch: BaselineSketch {}

/// What the application and node baselines share: a sketch of the keys seen, which forgets, and
/// the outcome counts and rate histograms every event adds to. Learning and the shared part of
/// the snapshot are written once here, so the two baselines cannot drift apart; each keeps its
/// own sizes and caps.
protocol Baseline {
    associatedtype Sketch: BaselineSketch
    var sketch: Sketch { get set }
    /// Events since the sketch last halved.
    var sketchAge: UInt32 { get set }
    /// Keys new to the sketch since it last halved.
    var sketchFreshKeys: UInt32 { get set }
    /// Destination outcomes, public destinations then private ones (7 each).
    var destination: CategoricalCounts<14> { get set }
    var service: CategoricalCounts<5> { get set }
    var pairing: CategoricalCounts<3> { get set }
    var verdict: CategoricalCounts<4> { get set }
    var periodicity: CategoricalCounts<3> { get set }
    /// Steady series that began: to established destinations (0) and to young ones (1).
    var series: CategoricalCounts<2> { get set }
    var hours: HourProfile { get set }
    var rates: InlineArray<6, RateHistogram> { get set }

    /// Events after which the sketch halves whatever it holds.
    static var sketchHalvingPeriod: UInt32 { get }
    /// Fresh keys after which it halves sooner (at that load new keys start to read as known).
    static var sketchFreshKeyLimit: UInt32 { get }
}

extension Baseline {
    /// Fresh keys halve a sketch at most every 128 events: a scan's thousand new ports must not
    /// wipe out the habits in a minute. The same for both baselines (the node's fresh-key limit
    /// needs thousands of events anyway, so it only matters to applications today).
    static var sketchMinimumAge: UInt32 { 128 }

    /// Adds one event's keys to the sketch. The sketch halves (one-off keys vanish, habits stay)
    /// after `sketchHalvingPeriod` events, or sooner when new keys would fill it: a baseline with
    /// many destinations forgets faster, so its sketch keeps telling new from known.
    @inline(__always)
    mutating func learn(_ keys: ObservationKeys, amount: Int = 1) {
        var fresh: UInt32 = 0
        if sketch.add(keys.address, amount: amount) { fresh += 1 }
        if sketch.add(keys.network, amount: amount) { fresh += 1 }
        if sketch.add(keys.service, amount: amount) { fresh += 1 }
        if sketch.add(keys.pair, amount: amount) { fresh += 1 }
        if keys.domain != 0 && sketch.add(keys.domain, amount: amount) { fresh += 1 }
        sketchAge &+= 1
        sketchFreshKeys &+= fresh
        if sketchAge >= Self.sketchHalvingPeriod
            || (sketchFreshKeys >= Self.sketchFreshKeyLimit && sketchAge >= Self.sketchMinimumAge)
        {
            sketch.halve()
            sketchAge = 0
            sketchFreshKeys = 0
        }
    }

    /// The sketch, the outcome counts and the rate histograms, in snapshot order.
    func writeHistory(to writer: inout SnapshotWriter) {
        sketch.write(to: &writer)
        destination.write(to: &writer)
        service.write(to: &writer)
        pairing.write(to: &writer)
        verdict.write(to: &writer)
        periodicity.write(to: &writer)
        series.write(to: &writer)
        hours.write(to: &writer)
        for channel in 0..<RateChannel.count { rates[channel].write(to: &writer) }
    }

    /// Reads what `writeHistory` wrote.
    mutating func readHistory(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        sketch = try Sketch(from: &reader)
        destination = try CategoricalCounts(from: &reader)
        service = try CategoricalCounts(from: &reader)
        pairing = try CategoricalCounts(from: &reader)
        verdict = try CategoricalCounts(from: &reader)
        periodicity = try CategoricalCounts(from: &reader)
        series = try CategoricalCounts(from: &reader)
        hours = try HourProfile(from: &reader)
        for channel in 0..<RateChannel.count { rates[channel] = try RateHistogram(from: &reader) }
    }
}
